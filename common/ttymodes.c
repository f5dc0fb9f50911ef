#include "ttymodes.h"

#include <string.h>

typedef enum { MODE_CC, MODE_IFLAG, MODE_OFLAG, MODE_LFLAG } mode_kind;

typedef struct mode_def {
    const char *name;
    mode_kind kind;
    unsigned long what; /* c_cc index, or the flag bit */
} mode_def;

/* The modes that change how typing behaves: the special characters, and
 * the flags a user may have set differently from Linux's defaults (UTF-8
 * erase, CR/NL mapping, flow control, echo style). Names are termios's. */
static const mode_def MODES[] = {
    {"VINTR", MODE_CC, VINTR},        {"VQUIT", MODE_CC, VQUIT},
    {"VERASE", MODE_CC, VERASE},      {"VKILL", MODE_CC, VKILL},
    {"VEOF", MODE_CC, VEOF},          {"VEOL", MODE_CC, VEOL},
    {"VEOL2", MODE_CC, VEOL2},        {"VSTART", MODE_CC, VSTART},
    {"VSTOP", MODE_CC, VSTOP},        {"VSUSP", MODE_CC, VSUSP},
    {"VREPRINT", MODE_CC, VREPRINT},  {"VWERASE", MODE_CC, VWERASE},
    {"VLNEXT", MODE_CC, VLNEXT},      {"VDISCARD", MODE_CC, VDISCARD},
    {"IGNCR", MODE_IFLAG, IGNCR},     {"ICRNL", MODE_IFLAG, ICRNL},
    {"INLCR", MODE_IFLAG, INLCR},     {"IXON", MODE_IFLAG, IXON},
    {"IXANY", MODE_IFLAG, IXANY},     {"IXOFF", MODE_IFLAG, IXOFF},
    {"IMAXBEL", MODE_IFLAG, IMAXBEL}, {"IUTF8", MODE_IFLAG, IUTF8},
    {"OPOST", MODE_OFLAG, OPOST},     {"ONLCR", MODE_OFLAG, ONLCR},
    {"ISIG", MODE_LFLAG, ISIG},       {"ICANON", MODE_LFLAG, ICANON},
    {"ECHO", MODE_LFLAG, ECHO},       {"ECHOE", MODE_LFLAG, ECHOE},
    {"ECHOK", MODE_LFLAG, ECHOK},     {"ECHONL", MODE_LFLAG, ECHONL},
    {"ECHOCTL", MODE_LFLAG, ECHOCTL}, {"ECHOKE", MODE_LFLAG, ECHOKE},
    {"IEXTEN", MODE_LFLAG, IEXTEN},   {"NOFLSH", MODE_LFLAG, NOFLSH},
    {"TOSTOP", MODE_LFLAG, TOSTOP},
};
#define NMODES (sizeof MODES / sizeof MODES[0])

size_t pl_tty_modes_count(void)
{
    return NMODES;
}

static const tcflag_t *flags_of(const struct termios *t, mode_kind k)
{
    return k == MODE_IFLAG   ? &t->c_iflag
           : k == MODE_OFLAG ? &t->c_oflag
                             : &t->c_lflag;
}

size_t pl_tty_modes_get(const struct termios *t, pl_tty_mode *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < NMODES && n < cap; i++) {
        const mode_def *m = &MODES[i];
        out[n].name = m->name;
        if (m->kind == MODE_CC)
            out[n].value = t->c_cc[m->what];
        else
            out[n].value = (*flags_of(t, m->kind) & m->what) != 0;
        n++;
    }
    return n;
}

int pl_tty_mode_set(struct termios *t, const char *name, uint32_t value)
{
    for (size_t i = 0; name && i < NMODES; i++) {
        const mode_def *m = &MODES[i];
        if (strcmp(m->name, name) != 0)
            continue;
        if (m->kind == MODE_CC) {
            if (value > 0xff)
                return -1;
            t->c_cc[m->what] = (cc_t)value;
            return 0;
        }
        if (value > 1)
            return -1;
        tcflag_t *f = (tcflag_t *)flags_of(t, m->kind);
        if (value)
            *f |= (tcflag_t)m->what;
        else
            *f &= ~(tcflag_t)m->what;
        return 0;
    }
    return -1;
}

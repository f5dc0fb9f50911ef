/* The pseudo-terminal of an interactive Exec (run -t): opening it with the
 * client's window size and terminal modes, and resizing it later. The
 * command gets the slave side as its controlling terminal (exec_spawn.c);
 * we keep the master. */
#include "exec_tty.h"
#include "ttymodes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

/* Terminals larger than this are a mistake or an attack on programs that
 * allocate per cell. */
#define MAX_DIM 10000

void exec_tty_resize(int master, const Pipeline__V1__WindowSize *size)
{
    struct winsize ws = {.ws_row = 24, .ws_col = 80};
    if (size && size->rows && size->cols && size->rows <= MAX_DIM &&
        size->cols <= MAX_DIM) {
        ws.ws_row = (unsigned short)size->rows;
        ws.ws_col = (unsigned short)size->cols;
        if (size->width_px <= 0xffff && size->height_px <= 0xffff) {
            ws.ws_xpixel = (unsigned short)size->width_px;
            ws.ws_ypixel = (unsigned short)size->height_px;
        }
    }
    /* On the master this sets the slave's size, and the kernel sends
     * SIGWINCH to the terminal's foreground process group. */
    ioctl(master, TIOCSWINSZ, &ws);
}

int exec_tty_term_ok(const char *term)
{
    size_t n = strlen(term);
    if (n == 0 || n > 64)
        return 0;
    for (const char *p = term; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' ||
              *p == '+'))
            return 0;
    return 1;
}

int exec_tty_open(const Pipeline__V1__Terminal *t, char *slave, size_t cap,
                  char *msg, size_t msglen)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0) {
        snprintf(msg, msglen, "cannot open a pseudo-terminal: %s",
                 strerror(errno));
        return -1;
    }
    if (m <= 2) { /* keep our descriptors off the child's 0, 1 and 2 */
        int moved = fcntl(m, F_DUPFD_CLOEXEC, 3);
        close(m);
        m = moved;
        if (m < 0) {
            snprintf(msg, msglen, "cannot open a pseudo-terminal: %s",
                     strerror(errno));
            return -1;
        }
    }
    if (grantpt(m) || unlockpt(m) || ptsname_r(m, slave, cap)) {
        snprintf(msg, msglen, "cannot set up a pseudo-terminal: %s",
                 strerror(errno));
        close(m);
        return -1;
    }
    /* termios calls on the master act on the slave side. */
    struct termios tio;
    if (tcgetattr(m, &tio) == 0) {
        /* Unknown names are skipped: a newer client may send more. */
        for (size_t i = 0; i < t->n_modes; i++)
            pl_tty_mode_set(&tio, t->modes[i]->key, t->modes[i]->value);
        tcsetattr(m, TCSANOW, &tio);
    }
    exec_tty_resize(m, t->size);
    int fl = fcntl(m, F_GETFL);
    if (fl >= 0)
        fcntl(m, F_SETFL, fl | O_NONBLOCK);
    return m;
}

void exec_tty_send_eof(int master)
{
    /* The end of the client's input is the terminal's end-of-file
     * character, as if typed: a shell reading a fresh line then exits. */
    struct termios tio;
    char eof = 4; /* ^D */
    if (tcgetattr(master, &tio) == 0 && tio.c_cc[VEOF])
        eof = (char)tio.c_cc[VEOF];
    if (write(master, &eof, 1) < 0) {
        /* Nothing more to do: the terminal is full or gone. */
    }
}

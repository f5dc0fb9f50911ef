/* Terminal modes by name, as ExecRequest.tty.modes carries them: the client
 * reads them off its terminal, the server sets them on the new one. */
#ifndef PIPELINE_TTYMODES_H
#define PIPELINE_TTYMODES_H

#include <stddef.h>
#include <stdint.h>
#include <termios.h>

typedef struct pl_tty_mode {
    const char *name; /* "VERASE", "IUTF8", ... */
    uint32_t value;   /* a character (0: disabled), or 0/1 for a flag */
} pl_tty_mode;

/* How many modes pl_tty_modes_get fills at most. */
size_t pl_tty_modes_count(void);
/* Every known mode of t, in a fixed order. Returns how many were written. */
size_t pl_tty_modes_get(const struct termios *t, pl_tty_mode *out, size_t cap);
/* Sets one mode on t; -1 for a name this build does not know (ignore it:
 * newer clients may send more) or a value out of range. */
int pl_tty_mode_set(struct termios *t, const char *name, uint32_t value);

#endif

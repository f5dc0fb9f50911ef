/* The pseudo-terminal of an interactive Exec (ExecRequest.tty). */
#ifndef PIPELINE_EXEC_TTY_H
#define PIPELINE_EXEC_TTY_H

#include "pipeline.pb-c.h"

#include <stddef.h>

/* Opens a new pseudo-terminal with t's size and modes. Returns the master
 * (non-blocking, CLOEXEC) and the slave's path in slave, or -1 with msg
 * set. */
int exec_tty_open(const Pipeline__V1__Terminal *t, char *slave, size_t cap,
                  char *msg, size_t msglen);
/* Applies a window size (NULL or zero: 24x80). */
void exec_tty_resize(int master, const Pipeline__V1__WindowSize *size);
/* Types the terminal's end-of-file character. */
void exec_tty_send_eof(int master);
/* A TERM value we pass on: short, letters, digits and -_.+ only. */
int exec_tty_term_ok(const char *term);

#endif

/* The local terminal during `run -t`: raw mode while the remote program
 * owns the screen, and the saved modes back on every way out. */
#ifndef PIPELINE_CLI_TTY_H
#define PIPELINE_CLI_TTY_H

#include <termios.h>

/* Puts fd's terminal in raw mode, remembering its modes. Installs
 * restoring on exit and around job-control stops (SIGTSTP/SIGTTIN/
 * SIGTTOU, then SIGCONT). Returns -1 with errno when fd is no terminal. */
int cli_tty_raw(int fd);
/* The modes saved by cli_tty_raw (the user's own). */
const struct termios *cli_tty_saved(void);
/* Puts the saved modes back (safe to call more than once, and from a
 * signal handler). */
void cli_tty_restore(void);

#endif

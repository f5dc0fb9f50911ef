#include "tty.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static int tty_fd = -1;
static struct termios saved, raw;
static volatile sig_atomic_t is_raw;

const struct termios *cli_tty_saved(void)
{
    return &saved;
}

void cli_tty_restore(void)
{
    if (is_raw) {
        /* TCSADRAIN: what the remote program last drew stays on screen. */
        tcsetattr(tty_fd, TCSADRAIN, &saved);
        is_raw = 0;
    }
}

/* A stop (Ctrl-Z is typed through to the remote, so this is kill -TSTP or
 * a background read/write) must leave the user's shell a sane terminal;
 * raw mode comes back when we are continued. All calls here are
 * async-signal-safe. */
static void on_stop(int sig)
{
    int saved_errno = errno;
    int was_raw = is_raw;
    cli_tty_restore();
    struct sigaction dfl, old;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, &old);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig); /* stops here until SIGCONT */
    sigaction(sig, &old, NULL);
    if (was_raw && tcsetattr(tty_fd, TCSADRAIN, &raw) == 0)
        is_raw = 1;
    errno = saved_errno;
}

int cli_tty_raw(int fd)
{
    if (tcgetattr(fd, &saved) < 0)
        return -1;
    raw = saved;
    /* As cfmakeraw, but keeping the character size the user had. */
    raw.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR |
                               IGNCR | ICRNL | IXON | IXANY | IXOFF);
    raw.c_oflag &= ~(tcflag_t)OPOST;
    raw.c_lflag &=
        ~(tcflag_t)(ECHO | ECHONL | ECHOE | ECHOK | ICANON | ISIG | IEXTEN);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    tty_fd = fd;
    static int hooked;
    if (!hooked) {
        hooked = 1;
        atexit(cli_tty_restore);
        static const int stops[] = {SIGTSTP, SIGTTIN, SIGTTOU};
        for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_stop;
            sigemptyset(&sa.sa_mask);
            sa.sa_flags = SA_RESTART;
            sigaction(stops[i], &sa, NULL);
        }
    }
    if (tcsetattr(fd, TCSADRAIN, &raw) < 0)
        return -1;
    is_raw = 1;
    return 0;
}

/* pipeline run: a command in the enclave, like `ssh host cmd`: live
 * output, stdin, forwarded signals and the command's exit status. */
#include "cli.h"
#include "tty.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Exit statuses beside the command's own, as timeout(1) and shells use. */
#define EXIT_TIMED_OUT 124

static int sig_pipe[2] = {-1, -1};
static volatile sig_atomic_t got_sigint;
/* With -t, an interactive shell ignores SIGINT and SIGTERM; a client told
 * to stop hangs its terminal up instead, as closing a terminal window
 * would. */
static volatile sig_atomic_t hangup_instead;

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    if (sig == SIGINT)
        got_sigint = 1;
    if (hangup_instead && sig != SIGWINCH)
        b = SIGHUP;
    if (write(sig_pipe[1], &b, 1) < 0) {
        /* pipe full: the signals already queued will do */
    }
    errno = saved;
}

/* Forwards SIGINT, SIGTERM and SIGHUP through a self-pipe. A signal we
 * were started with ignored (nohup, a background job) stays ignored. */
static int forward_signals(void)
{
    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK))
        return -1;
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old, sa;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
    return 0;
}

/* A closed 0/1/2 would be reused by the socket and mix with the streams. */
static void ensure_stdio(void)
{
    for (int fd = 0; fd <= 2; fd++)
        if (fcntl(fd, F_GETFD) < 0)
            open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
}

static void run_usage(FILE *f)
{
    fprintf(f,
            "Usage: pipeline run [OPTIONS] --command STRING\n"
            "       pipeline run [OPTIONS] -- PROGRAM [ARGS...]\n\n"
            "Runs a command in the enclave: --command through the server's "
            "shell (sh -c),\n"
            "or PROGRAM directly. stdout and stderr arrive live, stdin is "
            "streamed,\n"
            "Ctrl-C, SIGTERM and SIGHUP reach the remote process group, and "
            "the exit\n"
            "status is the command's (128+N if it died of signal N, 124 on "
            "--timeout,\n"
            "127/126 if it could not start, 255 if pipeline itself failed).\n"
            "\n"
            "  --command STRING       run STRING with the server's shell\n"
            "  --no-wait              start detached (output to the server's "
            "console),\n"
            "                         return once it has started\n"
            "  -i, --stdin            stream our stdin to the command (EOF "
            "included); without\n"
            "                         it the command's stdin is empty, as "
            "with docker exec\n"
            "  -n, --no-stdin         accepted for compatibility; the default "
            "already\n"
            "  -e, --env NAME=VALUE   set a variable (repeatable)\n"
            "  -w, --cwd DIR          working directory on the server\n"
            "  --timeout SECS         kill the command after SECS (exit "
            "124)\n"
            "  -t, --tty              run it on a terminal in the enclave "
            "(an interactive\n"
            "                         shell, vi, top); needs a terminal here, "
            "-tt forces one\n" CLI_CONN_HELP);
}

static void shell_usage(FILE *f)
{
    fprintf(f, "Usage: pipeline shell [OPTIONS]\n\n"
               "An interactive login shell in the enclave: the server's shell "
               "(server.shell)\n"
               "on a terminal, like `pipeline run -t --command 'exec \"$0\" "
               "-l'`. Exit with\n"
               "`exit`; the exit status is the shell's.\n\n"
               "  -e, --env NAME=VALUE   set a variable (repeatable)\n"
               "  -w, --cwd DIR          working directory on the server\n"
               "  -t                     force a terminal even when stdin is "
               "not one\n" CLI_CONN_HELP);
}

static int valid_env(const char *e)
{
    return e[0] && e[0] != '=' && strchr(e, '=');
}

static int report(const pl_exec_request *rq, const pl_exec_result *res,
                  int quiet)
{
    if (res->spawn_error[0]) {
        int code = res->exit_code ? res->exit_code : 127;
        /* An ssh habit: run 'echo a; echo b' names no program. */
        if (code == 127 && rq->argc == 1 &&
            strpbrk(rq->argv[0], " \t;|&<>$`*?(){}'\"\n"))
            cli_error("run",
                      "remote: %s (this is one word with shell syntax in "
                      "it: to run it through the shell, give --command "
                      "'...')",
                      res->spawn_error);
        else
            cli_error("run", "remote: %s", res->spawn_error);
        return code;
    }
    if (res->timed_out) {
        if (!quiet)
            cli_error("run", "timed out after %u s; the command was killed",
                      rq->timeout_secs);
        return EXIT_TIMED_OUT;
    }
    if (res->signal) {
        /* Die of SIGINT ourselves so a calling shell script stops too. */
        if (res->signal == SIGINT && got_sigint) {
            signal(SIGINT, SIG_DFL);
            raise(SIGINT);
        }
        /* As shells do, except for the quiet ways to end. */
        if (res->signal != SIGINT && res->signal != SIGPIPE && !quiet) {
            const char *name = sigabbrev_np(res->signal);
            if (name)
                cli_error("run", "remote command killed by SIG%s", name);
            else
                cli_error("run", "remote command killed by signal %d",
                          res->signal);
        }
        return 128 + res->signal;
    }
    return res->exit_code & 0xff;
}

/* Sets up -t: the remote terminal's TERM and the local terminal in raw
 * mode. Returns 0, or the exit code for a usage error. */
static int setup_tty(const char *sub, int count, pl_exec_tty *t)
{
    int local = isatty(0);
    if (!local && count < 2) {
        cli_error(sub, "-t needs a terminal on stdin (give -tt to force "
                       "one anyway)");
        return EXIT_USAGE;
    }
    const char *term = getenv("TERM");
    t->term = term && term[0] ? term : "dumb";
    t->terminal_fd = local ? 0 : -1;
    return 0;
}

static int run_or_shell(cli_global *g, int argc, char **argv, int shell)
{
    const char *sub = shell ? "shell" : "run";
    enum { OPT_COMMAND = OPT_SUB_BASE, OPT_NO_WAIT, OPT_TIMEOUT };
    static const struct option opts[] = {
        CLI_CONN_OPTIONS,
        {"command", required_argument, NULL, OPT_COMMAND},
        {"no-wait", no_argument, NULL, OPT_NO_WAIT},
        {"no-stdin", no_argument, NULL, 'n'},
        {"stdin", no_argument, NULL, 'i'},
        {"env", required_argument, NULL, 'e'},
        {"cwd", required_argument, NULL, 'w'},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"tty", no_argument, NULL, 't'},
        {0},
    };
    static const struct option shell_opts[] = {
        CLI_CONN_OPTIONS,
        {"env", required_argument, NULL, 'e'},
        {"cwd", required_argument, NULL, 'w'},
        {"tty", no_argument, NULL, 't'},
        {0},
    };
    int tty = shell ? 1 : 0, want_stdin = 0;
    pl_exec_tty term = {.terminal_fd = -1};
    cli_conn conn;
    cli_conn_init(&conn, g);
    pl_exec_request rq;
    memset(&rq, 0, sizeof rq);
    char **env = calloc((size_t)argc + 1, sizeof *env);
    if (!env) {
        cli_error("run", "out of memory");
        return EXIT_CONNECTION;
    }
    int rc = EXIT_USAGE, opt;
    long long v;
    /* '+': the first word of ARGV ends our options (run -- ls -la). */
    while (
        (opt = getopt_long(argc, argv, shell ? "+qhe:w:tc:v" : "+qhine:w:tc:v",
                           shell ? shell_opts : opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            if (shell)
                shell_usage(stdout);
            else
                run_usage(stdout);
            rc = 0;
            goto out;
        case 't':
            tty++;
            break;
        case OPT_COMMAND:
            rq.command = optarg;
            break;
        case OPT_NO_WAIT:
            rq.no_wait = 1;
            break;
        case 'n':
            /* The default since stdin became opt-in; kept for scripts. */
            break;
        case 'i':
            want_stdin = 1;
            break;
        case 'e':
            if (!valid_env(optarg)) {
                cli_error("run", "-e/--env: \"%s\" is not NAME=VALUE", optarg);
                goto out;
            }
            env[rq.nenv++] = optarg;
            break;
        case 'w':
            rq.cwd = optarg;
            break;
        case OPT_TIMEOUT:
            if (cli_parse_u32("run", "--timeout", optarg, &v))
                goto out;
            rq.timeout_secs = (unsigned)v;
            break;
        default:
            if (cli_conn_option(&conn, "run", opt, optarg) <= 0)
                goto out;
        }
    }
    rq.env = env;
    /* Like docker exec: stdin only when asked for (or on a terminal), so
     * `while read x; do pipeline run ...; done < list` keeps its list. */
    rq.no_stdin = !(want_stdin || tty);
    if (shell) {
        if (optind < argc) {
            cli_error(sub, "takes no command (use pipeline run -t -- "
                           "PROGRAM to run one on a terminal)");
            goto out;
        }
        /* sh -c leaves the shell's own path in $0. */
        rq.command = "exec \"$0\" -l";
    }
    if (optind < argc && !shell) {
        rq.argv = argv + optind;
        rq.argc = argc - optind;
    }
    if (rq.command && rq.argc) {
        cli_error("run", "give either --command STRING or -- PROGRAM "
                         "[ARGS...], not both");
        goto out;
    }
    if (!rq.command && !rq.argc) {
        cli_error("run", "nothing to run: give --command STRING or -- "
                         "PROGRAM [ARGS...] (see pipeline run --help)");
        goto out;
    }
    if (rq.command && !rq.command[0]) {
        cli_error("run", "--command: the command is empty");
        goto out;
    }
    if (rq.no_wait && rq.timeout_secs) {
        cli_error("run", "--timeout cannot limit a --no-wait command");
        goto out;
    }
    if (tty && rq.no_wait) {
        cli_error("run", "-t cannot go with --no-wait: a detached command "
                         "has no terminal");
        goto out;
    }
    if (tty) {
        if ((rc = setup_tty(sub, tty, &term)) != 0)
            goto out;
        rq.tty = &term;
        hangup_instead = 1;
        rc = EXIT_USAGE;
    }

    ensure_stdio();
    pl_client *c;
    rc = cli_connect(g, sub, &conn, &c);
    if (rc)
        goto out;
    if (forward_signals()) {
        cli_error("run", "cannot create a pipe: %s", strerror(errno));
        pl_client_close(c);
        rc = EXIT_CONNECTION;
        goto out;
    }
    pl_exec_io io = {.stdin_fd = rq.no_stdin ? -1 : 0,
                     .stdout_fd = 1,
                     .stderr_fd = 2,
                     .signal_fd = sig_pipe[0]};
    pl_exec_result res;
    pl_error err;
    /* Raw only now: connection errors above print on a sane terminal. */
    if (term.terminal_fd >= 0 && cli_tty_raw(term.terminal_fd) < 0) {
        cli_error(sub, "cannot set the terminal to raw mode: %s",
                  strerror(errno));
        pl_client_close(c);
        rc = EXIT_CONNECTION;
        goto out;
    }
    if (term.terminal_fd >= 0)
        term.modes = cli_tty_saved();
    int call_rc = pl_client_exec(c, &rq, &io, &res, &err);
    cli_tty_restore();
    if (call_rc == 0) {
        pl_client_close(c);
        rc = report(&rq, &res, conn.quiet);
    } else {
        pl_client_close(c);
        if (res.broken_pipe) {
            /* Our reader went away: end like a local writer would. */
            rc = 128 + SIGPIPE;
        } else if (res.signal_aborted) {
            cli_error("run", "%s", err.msg);
            rc = 128 + res.signal_aborted;
        } else {
            cli_call_error("run", &err);
            /* 0..254 belong to the command; anything of ours is 255,
             * except the server's policy refusing to run it (126, as a
             * shell says for a command it may not execute). */
            rc = err.code == PL_ERR_USAGE ? EXIT_USAGE
                 : err.code == PL_ERR_REMOTE && err.status == 7
                     ? EXIT_REFUSED
                     : EXIT_CONNECTION;
        }
    }
    cli_verbose_done(g, sub, rc);
out:
    free(env);
    return rc;
}

int run_main(cli_global *g, int argc, char **argv)
{
    return run_or_shell(g, argc, argv, 0);
}

int shell_main(cli_global *g, int argc, char **argv)
{
    return run_or_shell(g, argc, argv, 1);
}

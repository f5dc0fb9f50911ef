#include "progress.h"

#include "escape.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* Redraw at most this often; the callback comes after every chunk. */
#define REDRAW_SECONDS 0.1

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void human(char *out, size_t cap, double v)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(out, cap, "%.0f %s", v, units[u]);
    else
        snprintf(out, cap, "%.1f %s", v, units[u]);
}

void cli_progress_init(cli_progress *p, const char *label, int quiet)
{
    memset(p, 0, sizeof *p);
    p->on = !quiet && isatty(STDERR_FILENO);
    const char *slash = strrchr(label, '/');
    if (slash && slash[1])
        label = slash + 1;
    /* Entry names come from the peer in recv-dir: no raw controls. */
    pl_escape_str(label, p->label, sizeof p->label);
    p->t0 = now();
}

static int columns(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
        return ws.ws_col;
    return 80;
}

/* Every field has a fixed width, so the line never changes length while
 * it is redrawn: label, bar, percent, bytes, rate, time. */
#define LABEL_W 14
static void draw(cli_progress *p, double t)
{
    double elapsed = t - p->t0;
    /* The figure shown at the end is the average over the whole call:
     * connecting and the final fsync and rename included. */
    double rate = elapsed > 0 ? (double)p->done / elapsed : 0;
    char done[32], total[32], speed[32], when[32];
    human(done, sizeof done, (double)p->done);
    human(total, sizeof total, (double)p->total);
    human(speed, sizeof speed, rate);
    int known = p->total && p->done <= p->total;
    long secs;
    if (p->finished)
        secs = (long)(elapsed + 0.5);
    else if (known && rate > 0)
        secs = (long)(((double)(p->total - p->done)) / rate + 0.5);
    else
        secs = -1;
    if (secs >= 0)
        snprintf(when, sizeof when, "%s %ld:%02ld", p->finished ? "in " : "ETA",
                 secs / 60 % 1000, secs % 60);
    else
        snprintf(when, sizeof when, "ETA  -:--");
    char right[160];
    if (known)
        snprintf(right, sizeof right, " %3d%% %10s / %-10s %10s/s%s %-9s",
                 (int)((double)p->done * 100 / (double)p->total), done, total,
                 speed, p->finished ? " avg" : "    ", when);
    else
        snprintf(right, sizeof right, " %10s %10s/s%s %-9s", done, speed,
                 p->finished ? " avg" : "    ", p->finished ? when : "");
    int width = columns() - 1;
    int room = width - LABEL_W - (int)strlen(right) - 3;
    char bar[256] = "";
    if (known && room >= 5) {
        if (room > (int)sizeof bar - 4)
            room = (int)sizeof bar - 4;
        int fill = (int)((double)p->done * room / (double)p->total);
        bar[0] = ' ';
        bar[1] = '[';
        for (int i = 0; i < room; i++)
            bar[2 + i] = i < fill ? '#' : '.';
        bar[2 + room] = ']';
        bar[3 + room] = '\0';
    }
    fprintf(stderr, "\r%-*.*s%s%s\033[K", LABEL_W, LABEL_W, p->label, bar,
            right);
    fflush(stderr);
    p->drawn = 1;
    p->last = t;
}

void cli_progress_update(void *arg, uint64_t done, uint64_t total)
{
    cli_progress *p = arg;
    p->done = done;
    p->total = total;
    if (!p->on)
        return;
    double t = now();
    if (t - p->last >= REDRAW_SECONDS)
        draw(p, t);
}

void cli_progress_clear(cli_progress *p)
{
    if (p->on && p->drawn) {
        fputs("\r\033[K", stderr);
        p->drawn = 0;
    }
}

void cli_progress_finish(cli_progress *p, int ok)
{
    if (!p->on)
        return;
    if (ok) {
        if (p->total < p->done)
            p->total = p->done;
        p->finished = 1;
        draw(p, now());
    }
    if (p->drawn)
        fputc('\n', stderr);
    p->drawn = 0;
}

int cli_xfer_parse(cli_global *g, const char *sub, int sending,
                   const char *lflag, const char *rflag, const char *usage,
                   int argc, char **argv, cli_xfer_args *a)
{
    enum { OPT_LOCAL = OPT_SUB_BASE, OPT_REMOTE, OPT_CHECKSUM };
    /* -p as in cp and scp: keep modification times. */
    /* -r only where it means something: the file commands. */
    int files = strstr(sub, "-file") != NULL;
    const struct option opts[] = {
        CLI_CONN_OPTIONS,
        {lflag, required_argument, NULL, OPT_LOCAL},
        {rflag, required_argument, NULL, OPT_REMOTE},
        {"checksum", no_argument, NULL, OPT_CHECKSUM},
        {"preserve", no_argument, NULL, 'p'},
        {files ? "recursive" : "checksum", no_argument, NULL,
         files ? 'r' : OPT_CHECKSUM},
        {0},
    };
    memset(a, 0, sizeof *a);
    cli_conn_init(&a->conn, g);
    /* 0, not 1: glibc then starts afresh and permutes, so options may
     * follow SRC DST (main's "+" scan would otherwise stick). */
    optind = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, files ? "qhc:vrp" : "qhc:vp", opts,
                              NULL)) != -1) {
        switch (opt) {
        case 'r':
            a->recursive = 1;
            break;
        case 'p':
            a->preserve = 1;
            break;
        case OPT_LOCAL:
            a->local = optarg;
            break;
        case OPT_REMOTE:
            a->remote = optarg;
            break;
        case OPT_CHECKSUM:
            a->checksum = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            fputs(CLI_CONN_HELP, stdout);
            return 0;
        default: {
            int rc = cli_conn_option(&a->conn, sub, opt, optarg);
            if (rc <= 0)
                return EXIT_USAGE;
        }
        }
    }
    /* SRC DST fill whatever the flags left unset, in order; with no flag,
     * cp style: SRC... DST. */
    int npos = argc - optind;
    if (files && !a->local && !a->remote && npos > 2) {
        a->srcs = (const char *const *)(argv + optind);
        a->nsrc = npos - 1;
        const char *dst = argv[argc - 1];
        a->local = sending ? a->srcs[0] : dst;
        a->remote = sending ? dst : a->srcs[0];
        if (!dst[0]) {
            cli_usage_error(sub, "empty destination");
            return EXIT_USAGE;
        }
        return -1;
    }
    const char **slot[2] = {sending ? &a->local : &a->remote,
                            sending ? &a->remote : &a->local};
    for (int i = optind; i < argc; i++) {
        int k = !*slot[0] ? 0 : !*slot[1] ? 1 : -1;
        if (k < 0) {
            cli_usage_error(sub, "unexpected argument \"%s\"", argv[i]);
            return EXIT_USAGE;
        }
        *slot[k] = argv[i];
    }
    a->srcs = sending ? &a->local : &a->remote;
    a->nsrc = 1;
    if (!a->local || !a->remote) {
        const char *flag = !a->local ? lflag : rflag;
        cli_error(sub, "missing --%s (or the %s argument; see %s --help)", flag,
                  (!a->local) == sending ? "SRC" : "DST", sub);
        return EXIT_USAGE;
    }
    if (!a->local[0] || !a->remote[0]) {
        cli_error(sub, "empty path given to --%s",
                  !a->local[0] ? lflag : rflag);
        return EXIT_USAGE;
    }
    return -1;
}

void cli_print_sha256(FILE *f, const uint8_t sha[32], const char *dir,
                      const char *name)
{
    char full[8192];
    if (dir)
        snprintf(full, sizeof full, "%s%s%s", dir,
                 dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/", name);
    else
        snprintf(full, sizeof full, "%s", name);
    /* Names may come from the server. On a terminal show them escaped (as
     * ls does), so none can carry an escape sequence; into a file or pipe
     * they go in sha256sum's format for `sha256sum -c`. */
    if (isatty(fileno(f))) {
        char shown[sizeof full];
        pl_escape_str(full, shown, sizeof shown);
        snprintf(full, sizeof full, "%s", shown);
    }
    int escape = strpbrk(full, "\\\n") != NULL;
    if (escape)
        fputc('\\', f);
    for (int i = 0; i < 32; i++)
        fprintf(f, "%02x", sha[i]);
    fputs("  ", f);
    for (const char *p = full; *p; p++) {
        if (escape && *p == '\\')
            fputs("\\\\", f);
        else if (escape && *p == '\n')
            fputs("\\n", f);
        else
            fputc(*p, f);
    }
    fputc('\n', f);
    fflush(f);
}

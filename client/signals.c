/*
 * What a transfer leaves when the program is told to stop (SIGINT, SIGTERM,
 * SIGHUP): no temporary file, and no directory held at 0700 for a mode it
 * was still owed (dirstream.h). Both cleanups take locks and walk lists,
 * which a signal handler may not, so the signals are blocked and taken by
 * a thread of our own with sigwait; it cleans up as the server does at
 * stop, then lets the signal kill the process as it would have.
 */
#include "atomic_file.h"
#include "dirstream.h"

#include <pipeline/client.h>

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <unistd.h>

static sigset_t stops;

static void *stop_waiter(void *arg)
{
    (void)arg;
    int sig = 0;
    while (sigwait(&stops, &sig) != 0)
        ;
    pl_atomic_remove_all(NULL);
    pl_dir_recv_stop_all(NULL);
    /* Die of it, as without us: blocked everywhere else, the signal is
     * delivered to this thread, and its default action ends the process. */
    signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    pthread_sigmask(SIG_UNBLOCK, &one, NULL);
    raise(sig);
    _exit(128 + sig);
}

void pl_client_cleanup_on_signals(void)
{
    static int started;
    if (started)
        return;
    sigemptyset(&stops);
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    int n = 0;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        /* One ignored when we started (nohup's HUP, INT for a shell's
         * background job) stays ignored: blocked, it would be waited for
         * and would kill us. */
        struct sigaction sa;
        if (sigaction(sigs[i], NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
            continue;
        sigaddset(&stops, sigs[i]);
        n++;
    }
    if (!n)
        return;
    sigset_t old;
    pthread_sigmask(SIG_BLOCK, &stops, &old);
    pthread_attr_t attr;
    pthread_t t;
    int ok = pthread_attr_init(&attr) == 0;
    if (ok) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 64 * 1024);
        ok = pthread_create(&t, &attr, stop_waiter, NULL) == 0;
        pthread_attr_destroy(&attr);
    }
    if (!ok) {
        /* No thread: the signals keep their usual effect. */
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return;
    }
    started = 1;
}

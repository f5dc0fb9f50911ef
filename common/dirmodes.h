/*
 * The modes a directory receiver still owes (dirstream.h): directories it
 * created whose own mode lacks u+wx stay at 0700 until their contents have
 * arrived, and so does a new top directory (server PutDir). These
 * functions keep that state consistent with a server that stops while
 * transfers are in flight: every move of a directory into or out of that
 * 0700 state happens under one lock, so pl_dir_recv_stop_all finds each
 * one, gives it its mode, and no directory enters that state after it.
 */
#ifndef PIPELINE_DIRMODES_H
#define PIPELINE_DIRMODES_H

#include "dirstream.h"

/* Creates the directory base in pfd, at 0700, and remembers mode for it
 * (mode lacks u+wx). 1 when it was created, 0 when something was there
 * already (nothing remembered), -1 with err set: the server is stopping
 * (nothing created), too many delayed modes (the new directory is
 * removed again), no memory (it gets its mode at once), or mkdir failed.
 * show names it in messages. */
int pl_dirmodes_mkdir(pl_dir_recv *dr, int pfd, const char *base, uint32_t mode,
                      const char *show, pl_error *err);

/* Applies the delayed modes, deepest first. Stops at the first failure:
 * -1 with errno set and the failed directory's name copied to
 * name (PATH_MAX + 1 bytes). */
int pl_dirmodes_apply(pl_dir_recv *dr, char *name);
/* The same after a failure, going on past errors. */
void pl_dirmodes_apply_quietly(pl_dir_recv *dr);
/* Takes dr off the list of pl_dir_recv_track (pl_dir_recv_free). */
void pl_dirmodes_untrack(pl_dir_recv *dr);

#endif

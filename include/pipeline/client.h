/*
 * Pipeline client library: connect to a `pipeline listen` server over an
 * encrypted, mutually authenticated channel (Noise XX) and make calls on
 * it: ping, run a command, copy files and directory trees in and out.
 *
 * The handle types are opaque: programs hold pointers and go through the
 * functions below, so the library can change inside without breaking
 * them. Results come back in plain C structs; every failure fills a
 * pl_error (see <pipeline/error.h>).
 *
 *     pl_error err;
 *     pl_client_opts *o = pl_client_opts_new();
 *     pl_client *c = NULL;
 *     if (!o || pl_client_opts_set_address(o, "vsock:16:5000", &err) ||
 *         pl_client_opts_set_key_file(o, "client.key", 1, &err) ||
 *         pl_client_opts_set_known_servers(o, "known_servers", &err) ||
 *         pl_client_connect(&c, o, &err))
 *         fprintf(stderr, "%s\n", err.msg);
 *     pl_client_opts_free(o);   // c keeps what it needs
 *
 * A connection carries one call at a time and several calls one after
 * another. The library is thread-safe as long as a pl_client is used by
 * one thread at a time.
 */
#ifndef PIPELINE_PUBLIC_CLIENT_H
#define PIPELINE_PUBLIC_CLIENT_H

#include <pipeline/error.h>
#include <pipeline/keys.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <termios.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version, "MAJOR.MINOR.PATCH". */
PL_EXPORT const char *pl_client_version(void);

/* ---- connection options ---------------------------------------------- */

typedef struct pl_client_opts pl_client_opts;

/* NULL when out of memory. Defaults: no address (required), a fresh
 * random key for each connection, no server key check, connect timeout
 * 5 s, no I/O timeout. */
PL_EXPORT pl_client_opts *pl_client_opts_new(void);
PL_EXPORT void pl_client_opts_free(pl_client_opts *o);

/* "vsock:CID:PORT", "tcp:HOST:PORT" ("[v6]" allowed) or "unix:PATH". */
PL_EXPORT int pl_client_opts_set_address(pl_client_opts *o, const char *addr,
                                         pl_error *err);
/* This client's static private key: 32 raw bytes, base64, or a key file
 * (created when create is set and it does not exist). */
PL_EXPORT int pl_client_opts_set_key(pl_client_opts *o, const uint8_t priv[32]);
PL_EXPORT int pl_client_opts_set_key_base64(pl_client_opts *o, const char *b64,
                                            pl_error *err);
PL_EXPORT int pl_client_opts_set_key_file(pl_client_opts *o, const char *path,
                                          int create, pl_error *err);
/* Pins the server's public key (32 raw bytes or base64): the connection
 * fails unless the server proves it holds this key. A pin wins over the
 * known-servers file. */
PL_EXPORT int pl_client_opts_set_server_key(pl_client_opts *o,
                                            const uint8_t pub[32]);
PL_EXPORT int pl_client_opts_set_server_key_base64(pl_client_opts *o,
                                                   const char *b64,
                                                   pl_error *err);
/* A known-servers file ("ADDRESS KEY" lines, ssh known_hosts in spirit):
 * the first contact with an address records its key, a later different
 * key is refused. NULL: no file. With neither a pin nor a file, any
 * server key is accepted (encrypted, but the server is unauthenticated:
 * check pl_client_server_key() yourself). */
PL_EXPORT int pl_client_opts_set_known_servers(pl_client_opts *o,
                                               const char *path, pl_error *err);
/* Milliseconds for connecting and the handshake (> 0). */
PL_EXPORT int pl_client_opts_set_connect_timeout(pl_client_opts *o, int ms);
/* Milliseconds to wait for the server once connected; -1: forever. */
PL_EXPORT int pl_client_opts_set_io_timeout(pl_client_opts *o, int ms);
/* The Noise suite, "aesgcm" or "chachapoly" (any case): the connection
 * uses exactly that one, or fails when the server does not offer it. NULL
 * (the default): AESGCM, and once more with ChaChaPoly when the server
 * refuses AESGCM (an older or libsodium-only server). Fails on an unknown
 * name or a suite this build cannot run here. */
PL_EXPORT int pl_client_opts_set_cipher(pl_client_opts *o, const char *name,
                                        pl_error *err);

/* ---- connections ------------------------------------------------------- */

typedef struct pl_client pl_client;

/* Connects, runs the handshake and checks the server's key. *out is NULL
 * on failure. The options can be freed or reused afterwards. */
PL_EXPORT int pl_client_connect(pl_client **out, const pl_client_opts *o,
                                pl_error *err);
/* Closes the connection and frees c (NULL is fine). */
PL_EXPORT void pl_client_close(pl_client *c);

/* The address as given to pl_client_opts_set_address. */
PL_EXPORT const char *pl_client_address(const pl_client *c);
/* The server's static public key, as proven in the handshake. */
PL_EXPORT void pl_client_server_key(const pl_client *c, uint8_t pub[32]);
/* The suite in use: "AESGCM" or "ChaChaPoly". */
PL_EXPORT const char *pl_client_cipher(const pl_client *c);
/* The Noise protocol name the connection runs, e.g.
 * "Noise_XX_25519_ChaChaPoly_SHA256". */
PL_EXPORT const char *pl_client_protocol(const pl_client *c);
/* The server's software version from its handshake Hello. */
PL_EXPORT const char *pl_client_server_software(const pl_client *c);
/* 1 when this was the first contact and the server's key was recorded
 * in the known-servers file. */
PL_EXPORT int pl_client_recorded_server_key(const pl_client *c);

/* ---- attested enclaves ----------------------------------------------------
 *
 * A server inside an AWS Nitro Enclave sends an attestation document that
 * binds its handshake key to the enclave's measurements (PCRs), signed by
 * a certificate chain ending at the AWS Nitro root. When any PCR is
 * expected (or attestation is required), pl_client_connect fails with
 * PL_ERR_AUTH unless the document verifies: COSE_Sign1 ES384, the chain to
 * the root, every certificate valid at the document's time, the document
 * younger than the maximum age, its public key equal to the server's
 * handshake key, every expected PCR equal. The check happens before this
 * client's key is sent. An attested server needs no known-servers entry
 * (nothing is recorded; its key is new after every enclave restart); a
 * pinned server key is still checked.
 *
 *     pl_client_opts_expect_pcr_text(o, "0=<96 hex digits>", &err);
 *     ... pl_client_connect(&c, o, &err) ...
 *     pl_attestation_info info;
 *     if (pl_client_attestation(c, &info) == 0) ... info.pcr[0] ...
 */

#define PL_PCR_LEN 48 /* SHA-384 */
#define PL_PCR_COUNT 32

/* PCR index (0..31) must equal the 48 bytes of value. */
PL_EXPORT int pl_client_opts_expect_pcr(pl_client_opts *o, unsigned index,
                                        const uint8_t value[PL_PCR_LEN],
                                        pl_error *err);
/* The same from text, "N=HEX" (HEX: 96 hex digits), as --expect-pcr. */
PL_EXPORT int pl_client_opts_expect_pcr_text(pl_client_opts *o,
                                             const char *spec, pl_error *err);
/* The trusted root certificate (DER bytes, copied; or a PEM or DER file).
 * Default: the AWS Nitro Enclaves root, built in. */
PL_EXPORT int pl_client_opts_set_attestation_root(pl_client_opts *o,
                                                  const uint8_t *der,
                                                  size_t len, pl_error *err);
PL_EXPORT int pl_client_opts_set_attestation_root_file(pl_client_opts *o,
                                                       const char *path,
                                                       pl_error *err);
/* Accept a debug-mode enclave (PCR0..2 all zero); refused by default. */
PL_EXPORT int pl_client_opts_set_allow_debug(pl_client_opts *o, int allow);
/* Refuse documents older than this (> 0; default 10800, 3 hours). */
PL_EXPORT int pl_client_opts_set_attestation_max_age(pl_client_opts *o,
                                                     int64_t seconds);
/* A file remembering documents whose signature and certificate chain
 * verified (with the same root), so reconnecting to an enclave with the
 * same document skips that ECDSA work; every other check still runs each
 * time. It is as trusted as the known-servers file. Default:
 * "attestation_cache" next to the known-servers file, none without one;
 * NULL here: no cache. */
PL_EXPORT int pl_client_opts_set_attestation_cache(pl_client_opts *o,
                                                   const char *path,
                                                   pl_error *err);
/* Verify the document even when no PCR is expected (to read the server's
 * measurements, as `pipeline attest` does). */
PL_EXPORT int pl_client_opts_require_attestation(pl_client_opts *o,
                                                 int require);

/* The verified document's fields. */
typedef struct pl_attestation_info {
    char module_id[128];   /* the issuing NSM */
    char digest[16];       /* "SHA384" */
    uint64_t timestamp_ms; /* when the NSM made it, Unix milliseconds */
    uint32_t pcr_mask;     /* bit N set: pcr[N] was in the document */
    uint8_t pcr[PL_PCR_COUNT][PL_PCR_LEN];
    int debug;              /* PCR0..2 all zero: a debug-mode enclave */
    uint8_t public_key[32]; /* the server's key, as attested */
    size_t user_data_len;
    uint8_t user_data[512];
    size_t nonce_len;
    uint8_t nonce[512];
} pl_attestation_info;

/* 0 with info filled when the connection's server was attested (its
 * document verified); -1 when it was not. */
PL_EXPORT int pl_client_attestation(const pl_client *c,
                                    pl_attestation_info *info);

/* ---- ping -------------------------------------------------------------- */

typedef struct pl_ping_info {
    char software[128];      /* the server's version */
    uint64_t server_time_ns; /* its clock, Unix nanoseconds */
    double rtt_ms;           /* round trip of this call */
} pl_ping_info;

/* info may be NULL. */
PL_EXPORT int pl_client_ping(pl_client *c, pl_ping_info *info, pl_error *err);

/* ---- run a command ------------------------------------------------------
 *
 *     pl_exec_request rq = {.argv = (char *const[]){"uname", "-a"},
 *                           .argc = 2};
 *     pl_exec_io io = {.stdin_fd = -1, .stdout_fd = 1, .stderr_fd = 2,
 *                      .signal_fd = -1};
 *     pl_exec_result res;
 *     if (pl_client_exec(c, &rq, &io, &res, &err) == 0)
 *         ... res.exit_code, res.signal ...
 *
 * Zero-initialise the structs (= {0} or designated initializers): fields
 * added in later versions then keep their default meaning.
 */

/* A pseudo-terminal for the command (run -t): it gets a terminal of its
 * own on the server, its output (stdout and stderr merged) comes to
 * stdout_fd, and stdin is what would be typed on it. */
typedef struct pl_exec_tty {
    const char *term; /* TERM for the command; NULL: "dumb" */
    /* A local terminal whose modes (erase character, UTF-8, ...) and size
     * the remote one copies, and whose size is sent again whenever a
     * SIGWINCH byte arrives on signal_fd. -1: none (then rows x cols). */
    int terminal_fd;
    /* The modes to copy when terminal_fd is already in raw mode (the ones
     * the user had). NULL: read them from terminal_fd. */
    const struct termios *modes;
    unsigned rows, cols; /* used when terminal_fd is -1; 0: 24x80 */
} pl_exec_tty;

typedef struct pl_exec_request {
    char *const *argv; /* exec directly, PATH lookup on the server... */
    int argc;
    const char *command; /* ...or run through the server's shell (-c) */
    char *const *env;    /* "NAME=value" entries added to the environment */
    int nenv;
    const char *cwd;        /* NULL: the server's working directory */
    unsigned timeout_secs;  /* 0: no limit */
    int no_wait;            /* start detached and return at once */
    int no_stdin;           /* the command's stdin is empty */
    const pl_exec_tty *tty; /* NULL: pipes, stdout and stderr apart */
} pl_exec_request;

typedef struct pl_exec_io {
    int stdin_fd;  /* streamed to the command until EOF; -1: empty stdin */
    int stdout_fd; /* -1: discard */
    int stderr_fd; /* -1: discard */
    /* Readable end of a pipe; each byte read is a signal number to forward
     * to the remote process group (a self-pipe from signal handlers);
     * SIGWINCH instead resends the window size of a terminal call. -1:
     * none. */
    int signal_fd;
} pl_exec_io;

typedef struct pl_exec_result {
    int exit_code;         /* the command's exit status; 128+signal if killed */
    int signal;            /* the signal that ended it, or 0 */
    int timed_out;         /* killed because timeout_secs expired */
    int pid;               /* remote pid, 0 if it never started */
    char spawn_error[256]; /* set when it could not start (127/126) */
    int broken_pipe;       /* stdout_fd/stderr_fd was closed by its reader */
    /* A forwarded signal (this number) could not be sent within 2 s: the
     * call was given up; close the connection and the server stops the
     * command. */
    int signal_aborted;
    int reusable; /* the connection can carry another call */
} pl_exec_result;

/* Runs the command to its end. Returns 0 with res filled when the server
 * answered with a result (including a failed start: res->spawn_error);
 * -1 with err on a connection, protocol or server error (PL_ERR_REMOTE
 * with err->status for a Status such as PERMISSION_DENIED) or a local
 * write failure (PL_ERR_IO; res->broken_pipe for EPIPE). */
PL_EXPORT int pl_client_exec(pl_client *c, const pl_exec_request *req,
                             const pl_exec_io *io, pl_exec_result *res,
                             pl_error *err);

/* ---- files and directory trees ------------------------------------------
 *
 * Files are streamed in chunks with constant memory whatever their size.
 * A received file is written to ".NAME.XXXXXX.incomplete" beside its
 * destination and renamed over it only after the server's end-of-stream
 * frame arrived with the right length (and digest, with checksum), so a
 * failed transfer never truncates or replaces an existing file.
 *
 * When a call fails half way in a way that leaves frames in flight (a
 * local write error while receiving, a read error while sending), the
 * connection is shut down: later calls on it fail. A Status from the
 * server leaves the connection usable.
 */

typedef struct pl_transfer_opts {
    int checksum; /* SHA-256 on both ends, compared */
    /* Bytes so far and a size hint (0: unknown), after every chunk. */
    void (*progress)(void *arg, uint64_t done, uint64_t total);
    /* Entries skipped in a directory transfer. */
    void (*warn)(void *arg, const char *msg);
    /* Each file of a directory transfer, with its digest (NULL without
     * checksum); name is relative to the directory. */
    void (*file_done)(void *arg, const char *name, const uint8_t *sha);
    void *arg;
    /* Keep modification times, as cp -p and scp -p do: an upload carries
     * the local file's (and each directory's) time and the server sets
     * it; a download sets the server's times on what it writes (a file
     * before it is renamed into place, a directory after its contents).
     * Without it everything written gets the time it was written. Files
     * read from stdin or written to stdout or a descriptor have none. */
    int keep_times;
} pl_transfer_opts;

typedef struct pl_transfer_result {
    uint64_t bytes;   /* file bytes transferred */
    uint64_t files;   /* regular files (directories) */
    uint64_t entries; /* all entries (directories) */
    uint64_t skipped; /* special files left out (directories) */
    uint64_t errors;  /* local entries that could not be read (put-dir) */
    int has_sha256;
    uint8_t sha256[32];
    char local[4096]; /* the local file actually read or written */
} pl_transfer_result;

/* o and r may be NULL in all of these. */

/* Copies local ("-": stdin) to remote on the server. A remote path ending
 * in '/' gets the local file's name appended. The local mode is kept. */
PL_EXPORT int pl_client_put_file(pl_client *c, const char *local,
                                 const char *remote, const pl_transfer_opts *o,
                                 pl_transfer_result *r, pl_error *err);
/* Copies what fd yields until EOF to remote with mode (0: the server's
 * default 0644); size_hint only feeds progress. */
PL_EXPORT int pl_client_put_fd(pl_client *c, int fd, mode_t mode,
                               uint64_t size_hint, const char *remote,
                               const pl_transfer_opts *o, pl_transfer_result *r,
                               pl_error *err);

/* Copies remote to local ("-": stdout). An existing local directory, or a
 * local path ending in '/', receives the file under its remote name.
 * Missing parent directories are created. */
PL_EXPORT int pl_client_get_file(pl_client *c, const char *remote,
                                 const char *local, const pl_transfer_opts *o,
                                 pl_transfer_result *r, pl_error *err);
/* Writes remote's bytes to fd as they come (no temporary file). */
PL_EXPORT int pl_client_get_fd(pl_client *c, const char *remote, int fd,
                               const pl_transfer_opts *o, pl_transfer_result *r,
                               pl_error *err);

/* Copies the tree under localdir into remotedir (created as needed).
 * Symlinks are sent as links; special files are skipped with a warning;
 * unreadable entries are skipped with a warning and make the call fail
 * (PL_ERR_IO) after the rest was transferred. */
PL_EXPORT int pl_client_put_dir(pl_client *c, const char *localdir,
                                const char *remotedir,
                                const pl_transfer_opts *o,
                                pl_transfer_result *r, pl_error *err);
/* Copies the tree under remotedir into localdir (created as needed). */
PL_EXPORT int pl_client_get_dir(pl_client *c, const char *remotedir,
                                const char *localdir, const pl_transfer_opts *o,
                                pl_transfer_result *r, pl_error *err);

/* On SIGINT, SIGTERM or SIGHUP: remove the temporary files get calls are
 * writing, give the directories a get-dir holds at 0700 (awaiting their
 * contents) their modes, then die of the signal as usual. It blocks those
 * signals and takes them in a thread of its own: call it once, before
 * the transfers and before starting threads (they inherit the mask). */
PL_EXPORT void pl_client_cleanup_on_signals(void);

#ifdef __cplusplus
}
#endif

#endif

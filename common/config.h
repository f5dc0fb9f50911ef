/*
 * Configuration: libconfig files. The original's flat files ("cid = 3",
 * "port = 5000", '#' comments) are valid libconfig and parse unchanged;
 * newer settings are further top-level keys and groups (`server`,
 * `hosts`, ...).
 *
 * Which files: --config PATH or $PIPELINE_CONFIG alone when given;
 * otherwise the per-user file ($XDG_CONFIG_HOME/pipeline/config, default
 * ~/.config/pipeline/config) and then, on top of it, the original's
 * ./.config/pipeline.config.toml, each only when it exists. Precedence is
 * applied by the CLI: flag, then a `hosts` entry chosen with --host, then
 * the files, then the built-in default.
 *
 * Every key is a row of pl_config_keys (config_keys.c): its group, name,
 * type and where its value goes. A key that no row names is an error that
 * names the file, the line and the closest known key.
 */
#ifndef PIPELINE_CONFIG_H
#define PIPELINE_CONFIG_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

/* The original's file, read from the current directory when present. */
#define PL_LEGACY_CONFIG "./.config/pipeline.config.toml"
/* The per-user file, inside pl_config_user_dir(). */
#define PL_USER_CONFIG_NAME "config"
#define PL_CONFIG_ENV "PIPELINE_CONFIG"

typedef struct pl_config {
    char path[4096];  /* the last file read (named in messages) */
    char files[1024]; /* every file read, ", "-separated, for messages */
    int loaded;       /* at least one file existed and parsed */
    char host[128];   /* the hosts entry applied, when any */
    /* connection */
    int has_cid, has_port;
    uint32_t cid, port;
    char *address;          /* "address" */
    char *key_file;         /* "key_file": the client's private key */
    char *server_key;       /* "server_key": pinned server public key */
    char *known_servers;    /* "known_servers" */
    int connect_timeout_ms; /* "connect_timeout" (seconds) */
    char *cipher;           /* "cipher": chachapoly or aesgcm */
    /* server: group "server" */
    char *server_key_file;    /* "server.key_file": the server's key */
    char *log_file;           /* "server.log_file" */
    char *authorized_keys;    /* "server.authorized_keys" */
    int max_connections;      /* "server.max_connections" */
    int max_execs;            /* "server.max_execs": running commands at once */
    int handshake_timeout_ms; /* "server.handshake_timeout" (seconds) */
    int idle_timeout_ms;      /* "server.idle_timeout" (seconds, 0 = none) */
    int allow_exec;           /* "server.allow_exec" */
    int allow_tty;            /* "server.allow_tty": run -t */
    int allow_files;          /* "server.allow_files" */
    int read_only;            /* "server.read_only" */
    char *root;               /* "server.root" */
    char *shell;              /* "server.shell" */
    int kill_grace_ms;        /* "server.kill_grace" (seconds) */
    int attestation;          /* "server.attestation" */
    char *attestation_device; /* "server.attestation_device"; NULL: default */
    int attestation_refresh_s; /* "server.attestation_refresh" (seconds) */
    /* client: group "attestation" (what to expect of an attested server;
     * also inside a hosts entry) */
    char *attest_pcr[32];   /* "attestation.pcr0" .. "attestation.pcr31" */
    char *attest_root;      /* "attestation.root": PEM or DER file */
    int attest_allow_debug; /* "attestation.allow_debug" */
    int attest_max_age_s;   /* "attestation.max_age" (seconds), 0: default */
    char *attest_cache;     /* "attestation.cache": file; "" = none */
} pl_config;

/* ---- the table of known keys ---- */

typedef enum pl_cfg_type {
    PL_CFG_U32,    /* whole number 0..4294967295 */
    PL_CFG_INT,    /* whole number 0..max (int) */
    PL_CFG_SECS,   /* whole seconds, stored as int milliseconds */
    PL_CFG_BOOL,   /* true / false */
    PL_CFG_STRING, /* "text" (stored as a malloc'd char *) */
    PL_CFG_CUSTOM, /* parsed by the row's parse function */
} pl_cfg_type;

/* A row may also appear inside a `hosts` entry (client settings). */
#define PL_CFG_HOST 1u
#define PL_CFG_NO_HAS ((size_t)-1)

struct config_setting_t;
typedef struct pl_config_key {
    const char *group; /* NULL: top level; else "server", "attestation"... */
    const char *name;
    pl_cfg_type type;
    size_t offset;     /* offsetof(pl_config, field) */
    size_t has_offset; /* offsetof an int set to 1 when given, or NO_HAS */
    long long max;     /* PL_CFG_INT: largest value (0: 1000000) */
    unsigned flags;    /* PL_CFG_HOST */
    /* PL_CFG_CUSTOM: stores the value; errors name file and line. */
    int (*parse)(pl_config *c, const struct config_setting_t *s,
                 const char *file, pl_error *err);
} pl_config_key;

extern const pl_config_key pl_config_keys[];
extern const size_t pl_config_nkeys;

/* ---- loading ---- */

/* Built-in defaults; no file read. */
void pl_config_init(pl_config *c);
/* Defaults, then path. A missing file is an error only when required
 * (the user named it). */
int pl_config_load(pl_config *c, const char *path, int required, pl_error *err);
/* Defaults, then the files described at the top: explicit (from --config,
 * may be NULL; then $PIPELINE_CONFIG is tried) or the per-user and legacy
 * files. host, when not NULL, names a `hosts` entry whose settings are
 * applied on top; a name no file has is an error listing the known ones. */
int pl_config_load_all(pl_config *c, const char *explicit_path,
                       const char *host, pl_error *err);
/* Reads one more file on top of c. */
int pl_config_read(pl_config *c, const char *path, int required, pl_error *err);
/* Applies the hosts entry NAME of the file at path; *found set to 1 when it
 * exists there. */
int pl_config_apply_host(pl_config *c, const char *path, const char *name,
                         int *found, pl_error *err);
void pl_config_free(pl_config *c);

/* $XDG_CONFIG_HOME/pipeline, else $HOME/.config/pipeline, else the
 * password database's home. Returns 0, or -1 when no home is known. */
int pl_config_user_dir(char *out, size_t n);
/* pl_config_user_dir()/name, malloc'd; NULL without a home. */
char *pl_config_user_path(const char *name);
/* Replaces a string setting (frees the old value). */
void pl_config_set(char **slot, const char *value);

/* The closest known key to name ("group.name" form) for "did you mean"
 * messages; NULL when nothing is close. Exposed for tests. */
const char *pl_config_closest(const char *group, const char *name, char *out,
                              size_t n);
/* A hint in libconfig syntax for a line that looks like TOML libconfig
 * cannot read, or NULL. Exposed for tests. */
const char *pl_config_toml_hint(const char *line, char *out, size_t n);

#endif

/*
 * Configuration: a libconfig file. The original's flat files ("cid = 3",
 * "port = 5000", '#' comments) are valid libconfig and parse unchanged;
 * newer settings are further top-level keys and a `server` group.
 * Precedence is applied by the CLI: flag, then file, then default.
 */
#ifndef PIPELINE_CONFIG_H
#define PIPELINE_CONFIG_H

#include "error.h"

#include <stdint.h>

#define PL_DEFAULT_CONFIG "./.config/pipeline.config.toml"

typedef struct pl_config {
    char path[4096];
    int loaded; /* the file existed and parsed */
    /* connection */
    int has_cid, has_port;
    uint32_t cid, port;
    char *address;          /* "address" */
    char *key_file;         /* "key_file": this side's private key */
    char *server_key;       /* "server_key": pinned server public key */
    char *known_servers;    /* "known_servers" */
    int connect_timeout_ms; /* "connect_timeout" (seconds) */
    /* server: group "server" */
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
    /* client: group "attestation" (what to expect of an attested server) */
    char *attest_pcr[32];   /* "attestation.pcr0" .. "attestation.pcr31" */
    char *attest_root;      /* "attestation.root": PEM or DER file */
    int attest_allow_debug; /* "attestation.allow_debug" */
    int attest_max_age_s;   /* "attestation.max_age" (seconds), 0: default */
} pl_config;

/* Fills defaults, then reads path. A missing file is an error only when
 * required (the user named it with --config). */
int pl_config_load(pl_config *c, const char *path, int required, pl_error *err);
void pl_config_free(pl_config *c);
/* A path beside the config file: dir(config)/name. Caller frees. */
char *pl_config_sibling(const pl_config *c, const char *name);
/* Replaces a string setting (frees the old value). */
void pl_config_set(char **slot, const char *value);

#endif

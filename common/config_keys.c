/*
 * Every configuration key the program knows, one row each. To add a
 * setting: a field in pl_config (config.h), a default in pl_config_init
 * (config.c) when it is not zero, and a row here. The loader, the unknown
 * key check and its "did you mean" suggestions all read this table.
 */
#include "config.h"

#include <stddef.h>

#define F(field) offsetof(pl_config, field)
#define NO PL_CFG_NO_HAS
#define H PL_CFG_HOST
#define PCR(n)                                                                 \
    {                                                                          \
        "attestation", "pcr" #n, PL_CFG_STRING, F(attest_pcr[n]), NO, 0, H,    \
            NULL                                                               \
    }

const pl_config_key pl_config_keys[] = {
    /* Where the server is and who it is: top level or a `hosts` entry. */
    {NULL, "cid", PL_CFG_U32, F(cid), F(has_cid), 0, PL_CFG_HOST, NULL},
    {NULL, "port", PL_CFG_U32, F(port), F(has_port), 0, PL_CFG_HOST, NULL},
    {NULL, "address", PL_CFG_STRING, F(address), NO, 0, PL_CFG_HOST, NULL},
    {NULL, "server_key", PL_CFG_STRING, F(server_key), NO, 0, PL_CFG_HOST,
     NULL},
    {NULL, "key_file", PL_CFG_STRING, F(key_file), NO, 0, PL_CFG_HOST, NULL},
    {NULL, "known_servers", PL_CFG_STRING, F(known_servers), NO, 0, PL_CFG_HOST,
     NULL},
    {NULL, "connect_timeout", PL_CFG_SECS, F(connect_timeout_ms), NO, 0,
     PL_CFG_HOST, NULL},
    {NULL, "cipher", PL_CFG_STRING, F(cipher), NO, 0, PL_CFG_HOST, NULL},

    /* pipeline listen */
    {"server", "key_file", PL_CFG_STRING, F(server_key_file), NO, 0, 0, NULL},
    {"server", "log_file", PL_CFG_STRING, F(log_file), NO, 0, 0, NULL},
    {"server", "authorized_keys", PL_CFG_STRING, F(authorized_keys), NO, 0, 0,
     NULL},
    {"server", "max_connections", PL_CFG_INT, F(max_connections), NO, 100000, 0,
     NULL},
    {"server", "max_execs", PL_CFG_INT, F(max_execs), NO, 100000, 0, NULL},
    {"server", "handshake_timeout", PL_CFG_SECS, F(handshake_timeout_ms), NO, 0,
     0, NULL},
    {"server", "idle_timeout", PL_CFG_SECS, F(idle_timeout_ms), NO, 0, 0, NULL},
    {"server", "kill_grace", PL_CFG_SECS, F(kill_grace_ms), NO, 0, 0, NULL},
    {"server", "allow_exec", PL_CFG_BOOL, F(allow_exec), NO, 0, 0, NULL},
    {"server", "allow_tty", PL_CFG_BOOL, F(allow_tty), NO, 0, 0, NULL},
    {"server", "allow_files", PL_CFG_BOOL, F(allow_files), NO, 0, 0, NULL},
    {"server", "read_only", PL_CFG_BOOL, F(read_only), NO, 0, 0, NULL},
    {"server", "root", PL_CFG_STRING, F(root), NO, 0, 0, NULL},
    {"server", "shell", PL_CFG_STRING, F(shell), NO, 0, 0, NULL},
    {"server", "attestation", PL_CFG_BOOL, F(attestation), NO, 0, 0, NULL},
    {"server", "attestation_device", PL_CFG_STRING, F(attestation_device), NO,
     0, 0, NULL},
    {"server", "attestation_refresh", PL_CFG_INT, F(attestation_refresh_s), NO,
     0, 0, NULL},

    /* What the client expects of an attested server (also per host). */
    {"attestation", "root", PL_CFG_STRING, F(attest_root), NO, 0, H, NULL},
    {"attestation", "allow_debug", PL_CFG_BOOL, F(attest_allow_debug), NO, 0, H,
     NULL},
    {"attestation", "max_age", PL_CFG_INT, F(attest_max_age_s), NO, 0, H, NULL},
    /* The user's verified-document cache: one file, not per host. */
    {"attestation", "cache", PL_CFG_STRING, F(attest_cache), NO, 0, 0, NULL},
    PCR(0),
    PCR(1),
    PCR(2),
    PCR(3),
    PCR(4),
    PCR(5),
    PCR(6),
    PCR(7),
    PCR(8),
    PCR(9),
    PCR(10),
    PCR(11),
    PCR(12),
    PCR(13),
    PCR(14),
    PCR(15),
    PCR(16),
    PCR(17),
    PCR(18),
    PCR(19),
    PCR(20),
    PCR(21),
    PCR(22),
    PCR(23),
    PCR(24),
    PCR(25),
    PCR(26),
    PCR(27),
    PCR(28),
    PCR(29),
    PCR(30),
    PCR(31),
};

const size_t pl_config_nkeys = sizeof pl_config_keys / sizeof pl_config_keys[0];

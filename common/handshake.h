/*
 * Opening a secure channel: the cleartext negotiation line (which is also
 * the Noise prologue), then the three XX messages carrying Hello payloads.
 */
#ifndef PIPELINE_HANDSHAKE_H
#define PIPELINE_HANDSHAKE_H

#include "channel.h"

#define PL_PROTOCOL_PREFIX "pipeline/1 "
/* The line for the suite every build supports; the AESGCM one is
 * PL_PROTOCOL_PREFIX NOISE_PROTOCOL_NAME_AESGCM. */
#define PL_NEGOTIATION_LINE PL_PROTOCOL_PREFIX NOISE_PROTOCOL_NAME

/* Decides whether to go on once the server's static key and Hello are
 * known (before the client reveals its own key). The Hello may carry an
 * attestation document to check against key. Returns 0 to accept, -1
 * with err set. */
typedef int (*pl_server_key_check)(const uint8_t key[32],
                                   const Pipeline__V1__Hello *hello, void *arg,
                                   pl_error *err);

/* Client side: asks for the suite ch->cipher names (0: ChaChaPoly). On
 * success ch->tx/rx/remote_key are set and *hello holds the server's Hello
 * (free with pipeline__v1__hello__free_unpacked). When the server refuses
 * the suite with its "error: " line, ch->refused is set. */
int pl_handshake_client(pl_channel *ch, const uint8_t s_priv[32],
                        pl_server_key_check check, void *arg,
                        Pipeline__V1__Hello **hello, pl_error *err);

/* Server side: the whole exchange must finish within ch->timeout_ms per
 * step. Offers every suite this build can run (ChaChaPoly always, AESGCM
 * where the AEAD backend has it) and records the chosen one in ch->cipher;
 * an unsupported protocol line gets a cleartext "error: " answer. */
int pl_handshake_server(pl_channel *ch, const uint8_t s_priv[32],
                        Pipeline__V1__Hello **hello, pl_error *err);
/* The same, with an attestation document (NULL/0: none) placed in the
 * server's Hello. */
int pl_handshake_server_attested(pl_channel *ch, const uint8_t s_priv[32],
                                 const uint8_t *attestation,
                                 size_t attestation_len,
                                 Pipeline__V1__Hello **hello, pl_error *err);

#endif

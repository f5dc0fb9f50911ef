/*
 * HandshakeState (Noise spec section 5.3) for the XX pattern (section 7.5)
 * with X25519 (section 12.1).
 *
 * msg_index doubles as the state: 0..2 is the next message, then DONE
 * (ready to split), SPLIT (keys handed out), or FAILED. A failure after the
 * transcript has been touched wipes and poisons the object, because the
 * spec gives no way to resume a handshake whose h no longer matches the
 * peer's. Checks that fail before anything is mixed in (turn, lengths)
 * leave the state as it was.
 */
#include "noise.h"

#include <string.h>

#include <sodium.h>

#define DHLEN 32

enum token { TOK_END = 0, TOK_E, TOK_S, TOK_EE, TOK_ES, TOK_SE, TOK_SS };

#define XX_MESSAGES 3
#define MAX_TOKENS 4

/* Section 7.5: -> e ; <- e, ee, s, es ; -> s, se. No pre-messages. */
static const enum token xx_pattern[XX_MESSAGES][MAX_TOKENS + 1] = {
    {TOK_E, TOK_END},
    {TOK_E, TOK_EE, TOK_S, TOK_ES, TOK_END},
    {TOK_S, TOK_SE, TOK_END},
};

#define HS_DONE XX_MESSAGES
#define HS_SPLIT (XX_MESSAGES + 1)
#define HS_FAILED (-1)

/* Messages alternate, and the initiator sends the first one. */
static int is_my_turn(const noise_handshake *hs, int writing)
{
    int initiator_sends;

    if (hs->msg_index < 0 || hs->msg_index >= XX_MESSAGES)
        return 0;
    initiator_sends = (hs->msg_index % 2) == 0;
    return (initiator_sends == (hs->initiator != 0)) ? writing : !writing;
}

/* Bytes a message carries besides the payload body: walk the tokens the
 * way write/read will, since whether "s" and the payload get a tag depends
 * on whether a DH has set a key by then. */
static size_t message_overhead(const noise_handshake *hs)
{
    const enum token *t = xx_pattern[hs->msg_index];
    int keyed = hs->ss.cs.has_key;
    size_t len = 0;

    for (; *t != TOK_END; t++) {
        if (*t == TOK_E)
            len += DHLEN;
        else if (*t == TOK_S)
            len += DHLEN + (keyed ? NOISE_TAGLEN : 0);
        else
            keyed = 1;
    }
    return len + (keyed ? NOISE_TAGLEN : 0);
}

static const uint8_t *peer_key(const noise_handshake *hs, int ephemeral)
{
    if (ephemeral)
        return hs->has_re ? hs->re : NULL;
    return hs->has_rs ? hs->rs : NULL;
}

/* Section 5.3 DH tokens name the initiator's key first and the
 * responder's second ("es" = initiator e with responder s), so which of
 * our keys meets which of theirs depends on the role. */
static int mix_dh(noise_handshake *hs, enum token t)
{
    int ini_e = t == TOK_EE || t == TOK_ES;
    int resp_e = t == TOK_EE || t == TOK_SE;
    int my_e = hs->initiator ? ini_e : resp_e;
    const uint8_t *priv = my_e ? hs->e_priv : hs->s_priv;
    const uint8_t *pub = peer_key(hs, hs->initiator ? resp_e : ini_e);
    uint8_t shared[DHLEN];
    int rc;

    if (pub == NULL)
        return -1;
    /* libsodium returns -1 when the result is all zeros, i.e. the peer
     * sent a low-order point that would make the "secret" predictable. */
    rc = crypto_scalarmult(shared, priv, pub);
    if (rc == 0)
        noise_ss_mix_key(&hs->ss, shared, DHLEN);
    sodium_memzero(shared, sizeof(shared));
    return rc == 0 ? 0 : -1;
}

static int write_token(noise_handshake *hs, enum token t, uint8_t *out,
                       size_t *pos)
{
    size_t n;

    switch (t) {
    case TOK_E:
        if (!hs->has_fixed_e) {
            randombytes_buf(hs->e_priv, sizeof(hs->e_priv));
            if (crypto_scalarmult_base(hs->e_pub, hs->e_priv) != 0)
                return -1;
        }
        memcpy(out + *pos, hs->e_pub, DHLEN);
        noise_ss_mix_hash(&hs->ss, hs->e_pub, DHLEN);
        *pos += DHLEN;
        return 0;
    case TOK_S:
        if (noise_ss_encrypt_and_hash(&hs->ss, hs->s_pub, DHLEN, out + *pos,
                                      &n) != 0)
            return -1;
        *pos += n;
        return 0;
    default:
        return mix_dh(hs, t);
    }
}

static int read_token(noise_handshake *hs, enum token t, const uint8_t *msg,
                      size_t *pos)
{
    size_t n, outn;

    switch (t) {
    case TOK_E:
        memcpy(hs->re, msg + *pos, DHLEN);
        hs->has_re = 1;
        noise_ss_mix_hash(&hs->ss, hs->re, DHLEN);
        *pos += DHLEN;
        return 0;
    case TOK_S:
        n = DHLEN + (hs->ss.cs.has_key ? NOISE_TAGLEN : 0);
        if (noise_ss_decrypt_and_hash(&hs->ss, msg + *pos, n, hs->rs, &outn) !=
            0)
            return -1;
        hs->has_rs = 1;
        *pos += n;
        return 0;
    default:
        return mix_dh(hs, t);
    }
}

int noise_hs_init(noise_handshake *hs, int cipher, int initiator,
                  const uint8_t *prologue, size_t prologue_len,
                  const uint8_t s_priv[32], const uint8_t *fixed_e)
{
    const char *name = noise_protocol_name(cipher);

    sodium_memzero(hs, sizeof(*hs));
    hs->msg_index = HS_FAILED;
    if (s_priv == NULL || (prologue == NULL && prologue_len > 0) ||
        name == NULL)
        return -1;
    /* Idempotent; makes sure randombytes is seeded before the first e. */
    if (sodium_init() < 0 || !noise_cipher_available(cipher))
        return -1;

    hs->initiator = initiator != 0;
    noise_ss_init(&hs->ss, name, cipher);
    /* Section 6: the prologue is hashed in even when empty. */
    noise_ss_mix_hash(&hs->ss, prologue, prologue_len);

    memcpy(hs->s_priv, s_priv, sizeof(hs->s_priv));
    if (crypto_scalarmult_base(hs->s_pub, hs->s_priv) != 0)
        goto bad;
    if (fixed_e != NULL) {
        memcpy(hs->e_priv, fixed_e, sizeof(hs->e_priv));
        if (crypto_scalarmult_base(hs->e_pub, hs->e_priv) != 0)
            goto bad;
        hs->has_fixed_e = 1;
    }
    hs->msg_index = 0;
    return 0;
bad:
    noise_hs_clear(hs);
    return -1;
}

int noise_hs_write(noise_handshake *hs, const uint8_t *payload, size_t plen,
                   uint8_t *out, size_t outcap, size_t *outlen)
{
    const enum token *t;
    size_t need, pos = 0, n;

    if (outlen == NULL || out == NULL || !is_my_turn(hs, 1))
        return -1;
    *outlen = 0;
    if (payload == NULL && plen > 0)
        return -1;
    /* Section 3: 65535 bytes at most, overhead included. */
    need = message_overhead(hs);
    if (plen > NOISE_MAX_MSG - need || need + plen > outcap)
        return -1;

    for (t = xx_pattern[hs->msg_index]; *t != TOK_END; t++)
        if (write_token(hs, *t, out, &pos) != 0)
            goto bad;
    if (noise_ss_encrypt_and_hash(&hs->ss, payload, plen, out + pos, &n) != 0)
        goto bad;
    *outlen = pos + n;
    hs->msg_index++;
    return 0;
bad:
    noise_hs_clear(hs);
    return -1;
}

int noise_hs_read(noise_handshake *hs, const uint8_t *msg, size_t len,
                  uint8_t *payload, size_t cap, size_t *plen)
{
    const enum token *t;
    size_t need, body, pos = 0;

    if (plen == NULL || msg == NULL || !is_my_turn(hs, 0))
        return -1;
    *plen = 0;
    need = message_overhead(hs);
    /* Every fixed-size field must be there in full before we parse it;
     * what remains is the (possibly encrypted) payload. */
    if (len > NOISE_MAX_MSG || len < need)
        return -1;
    body = len - need;
    if (body > cap || (payload == NULL && body > 0))
        return -1;

    for (t = xx_pattern[hs->msg_index]; *t != TOK_END; t++)
        if (read_token(hs, *t, msg, &pos) != 0)
            goto bad;
    if (noise_ss_decrypt_and_hash(&hs->ss, msg + pos, len - pos, payload,
                                  plen) != 0)
        goto bad;
    hs->msg_index++;
    return 0;
bad:
    *plen = 0;
    noise_hs_clear(hs);
    return -1;
}

int noise_hs_done(const noise_handshake *hs)
{
    return hs->msg_index == HS_DONE || hs->msg_index == HS_SPLIT;
}

/* A cipher state that refuses all use: keyed (so it never copies
 * plaintext through) with the reserved nonce (so every call fails). */
static void poison_cs(noise_cipherstate *cs)
{
    /* Not noise_cs_clear: the caller's state may be uninitialised. */
    sodium_memzero(cs, sizeof(*cs));
    cs->has_key = 1;
    cs->n = UINT64_MAX;
}

void noise_hs_split(noise_handshake *hs, noise_cipherstate *send,
                    noise_cipherstate *recv)
{
    noise_cipherstate c1, c2;

    if (hs->msg_index != HS_DONE) {
        poison_cs(send);
        poison_cs(recv);
        return;
    }
    noise_ss_split(&hs->ss, &c1, &c2);
    /* Section 5: c1 carries initiator-to-responder traffic. */
    *send = hs->initiator ? c1 : c2;
    *recv = hs->initiator ? c2 : c1;
    noise_cs_clear(&c1);
    noise_cs_clear(&c2);

    /* Only h (channel binding) and rs stay meaningful afterwards. */
    sodium_memzero(hs->s_priv, sizeof(hs->s_priv));
    sodium_memzero(hs->e_priv, sizeof(hs->e_priv));
    sodium_memzero(hs->ss.ck, sizeof(hs->ss.ck));
    noise_cs_clear(&hs->ss.cs);
    hs->msg_index = HS_SPLIT;
}

const uint8_t *noise_hs_remote_static(const noise_handshake *hs)
{
    return hs->has_rs ? hs->rs : NULL;
}

const uint8_t *noise_hs_hash(const noise_handshake *hs)
{
    return hs->ss.h;
}

void noise_hs_clear(noise_handshake *hs)
{
    sodium_memzero(hs, sizeof(*hs));
    /* A zeroed msg_index would read as "ready for message 0". */
    hs->msg_index = HS_FAILED;
}

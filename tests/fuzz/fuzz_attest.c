/*
 * libFuzzer target: attestation document parsing and verification
 * (pl_attest_verify) with a fixed clock, the document's own time.
 *
 * The first input byte picks a path; the rest is the data:
 *   0  the data is the whole document
 *   1  the real AWS document (tests/vectors/nitro/) with the data applied
 *      as patches: (2-byte offset, byte to XOR) triples, so the parser gets
 *      deep into a well-formed document and its certificates
 *   2  the data is the payload, wrapped in a COSE_Sign1 envelope with the
 *      real protected header, to reach every payload rule directly
 * The second byte's low bits choose expectations (PCR3, allow_debug, a
 * server key) so the policy checks run too.
 */
#include "attest.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REAL_AT 1726534080

static uint8_t *real;
static size_t real_len;

/* The vector sits at ../vectors/nitro/ from this file's directory. */
static void load_real(void)
{
    char path[4096];
    const char *slash = strrchr(__FILE__, '/');
    int dir = slash ? (int)(slash - __FILE__) : 0;
    snprintf(path, sizeof path,
             "%.*s%s../vectors/nitro/"
             "debug-enclave-2024-09-17.b64",
             dir, __FILE__, dir ? "/" : "");
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "fuzz_attest: cannot open %s\n", path);
        abort();
    }
    static char text[16384];
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    real = malloc(n);
    if (!real || sodium_base642bin(real, n, text, n, " \r\n", &real_len, NULL,
                                   sodium_base64_VARIANT_ORIGINAL) != 0)
        abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    if (sodium_init() < 0)
        abort();
    load_real();
    return 0;
}

static void run(const uint8_t *doc, size_t len, uint8_t opts)
{
    pl_attest_expect e;
    memset(&e, 0, sizeof e);
    e.now_s = REAL_AT;
    e.allow_debug = opts & 1;
    if (opts & 2) {
        e.pcr_mask = 1u << 3;
        memset(e.pcr[3], 0x67, PL_ATTEST_PCR_LEN);
    }
    static const uint8_t key[32] = {1, 2, 3};
    pl_attest_info info;
    pl_error err;
    int rc =
        pl_attest_verify(doc, len, &e, (opts & 4) ? key : NULL, &info, &err);
    /* A refusal is one line; only the real document may pass. */
    if (rc != 0 && (err.msg[0] == '\0' || strchr(err.msg, '\n')))
        abort();
    if (rc == 0 && (opts & 4))
        abort(); /* nothing here is bound to that key */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t mode = data[0] % 3, opts = data[1];
    data += 2;
    size -= 2;
    if (mode == 0) {
        run(data, size, opts);
    } else if (mode == 1) {
        uint8_t *doc = malloc(real_len);
        memcpy(doc, real, real_len);
        size_t len = real_len;
        for (size_t i = 0; i + 3 <= size; i += 3) {
            size_t at = ((size_t)data[i] << 8 | data[i + 1]) % (real_len + 1);
            if (at == real_len) /* a cut instead of a patch */
                len = data[i + 2] * (real_len / 256);
            else
                doc[at] ^= data[i + 2];
        }
        run(doc, len < real_len ? len : real_len, opts);
        free(doc);
    } else {
        if (size > 16384)
            return 0;
        /* [h'a1013822', {}, bstr(data), bstr(96 zero bytes)] */
        uint8_t *doc = malloc(size + 128);
        size_t n = 0;
        static const uint8_t head[] = {0x84, 0x44, 0xa1, 0x01,
                                       0x38, 0x22, 0xa0, 0x59};
        memcpy(doc, head, sizeof head);
        n = sizeof head;
        doc[n++] = (uint8_t)(size >> 8);
        doc[n++] = (uint8_t)size;
        memcpy(doc + n, data, size);
        n += size;
        doc[n++] = 0x58;
        doc[n++] = 96;
        memset(doc + n, 0, 96);
        n += 96;
        run(doc, n, opts);
        free(doc);
    }
    return 0;
}

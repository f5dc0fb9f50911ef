/*
 * What verifying an attestation document costs: pl_attest_verify of the
 * real AWS document (tests/vectors/nitro/) at its own time, and its parts
 * measured alone in the same run (CBOR decoding, the X.509 chain, the ES384
 * signature), interleaved, medians of several rounds, wall and CPU time.
 *
 * usage: bench_attest DOCUMENT.b64 [ITERATIONS] [ROUNDS]
 * Prints figures only; never fails on a time.
 */
#include "attest_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define REAL_AT 1726534080

static uint8_t *doc;
static size_t doc_len;
static pl_attest_expect exp_, cached_;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void whole(const pl_attest_expect *e)
{
    pl_attest_info info;
    pl_error err;
    if (pl_attest_verify(doc, doc_len, e, NULL, &info, &err)) {
        fprintf(stderr, "bench_attest: %s\n", err.msg);
        exit(1);
    }
}

/* The parts, through the same internal functions pl_attest_verify uses. */
static void part(int which)
{
    pl_attest_doc d;
    pl_attest_info info;
    memset(&info, 0, sizeof info);
    pl_error err;
    EVP_PKEY *key = NULL;
    int64_t not_after;
    size_t rl;
    const uint8_t *root = pl_attest_aws_root(&rl);
    if (pl_attest_cose_decode(doc, doc_len, &d, &err) ||
        pl_attest_payload_decode(&d, &info, &err))
        exit(1);
    if (which >= 1 && pl_attest_chain_verify(&d, root, rl, REAL_AT, REAL_AT,
                                             &key, &not_after, &err))
        exit(1);
    if (which >= 2 && pl_attest_sig_verify(&d, key, &err))
        exit(1);
    EVP_PKEY_free(key);
    pl_attest_doc_free(&d);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 2 || sodium_init() < 0) {
        fprintf(stderr, "usage: bench_attest DOCUMENT.b64 [ITER] [ROUNDS]\n");
        return 2;
    }
    int iter = argc > 2 ? atoi(argv[2]) : 200;
    int rounds = argc > 3 ? atoi(argv[3]) : 5;
    if (iter < 1 || rounds < 1 || rounds > 64)
        return 2;
    FILE *f = fopen(argv[1], "r");
    static char text[32768];
    size_t n = f ? fread(text, 1, sizeof text, f) : 0;
    if (f)
        fclose(f);
    doc = malloc(n + 1);
    if (!n || sodium_base642bin(doc, n, text, n, " \r\n", &doc_len, NULL,
                                sodium_base64_VARIANT_ORIGINAL)) {
        fprintf(stderr, "bench_attest: cannot read %s\n", argv[1]);
        return 2;
    }
    exp_.now_s = REAL_AT;
    char cache[] = "/tmp/pl-bench-attest.XXXXXX";
    int cfd = mkstemp(cache);
    if (cfd < 0)
        return 1;
    close(cfd);
    cached_ = exp_;
    cached_.cache_path = cache;
    static const char *names[] = {"decode (COSE + payload)", "decode + chain",
                                  "decode + chain + signature",
                                  "pl_attest_verify (everything)",
                                  "pl_attest_verify, cache hit"};
    double wall[5][64], cpu[5][64];
    whole(&exp_);    /* warm up */
    whole(&cached_); /* fills the cache */
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < 5; k++) { /* interleaved */
            double w0 = now_s(), c0 = cpu_s();
            for (int i = 0; i < iter; i++)
                if (k >= 3)
                    whole(k == 3 ? &exp_ : &cached_);
                else
                    part(k);
            wall[k][r] = (now_s() - w0) / iter * 1e6;
            cpu[k][r] = (cpu_s() - c0) / iter * 1e6;
        }
    printf("attestation verification, %d x %d iterations, median per "
           "document:\n",
           rounds, iter);
    double total = 0;
    double hit = 0;
    for (int k = 0; k < 5; k++) {
        qsort(wall[k], (size_t)rounds, sizeof(double), cmp);
        qsort(cpu[k], (size_t)rounds, sizeof(double), cmp);
        if (k == 3)
            total = wall[k][rounds / 2];
        if (k == 4)
            hit = wall[k][rounds / 2];
        printf("  %-32s %8.1f us wall %8.1f us CPU\n", names[k],
               wall[k][rounds / 2], cpu[k][rounds / 2]);
    }
    printf("  target: <= 2000 us added per connection; full %.2fx, cache "
           "hit %.2fx of it\n",
           total / 2000.0, hit / 2000.0);
    unlink(cache);
    return 0;
}

/* The OpenSSL table filled from libcrypto.so.3, opened on first use
 * (ossl.h says why). Linked into the `pipeline` executable as an object,
 * ahead of pipeline_common, whose ossl_direct.c it replaces. */
#define PL_OSSL_REAL_NAMES
#include "ossl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* OpenSSL 3 keeps this soname for every 3.x release. */
#define LIBCRYPTO "libcrypto.so.3"

pl_ossl_table pl_ossl;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int state; /* 1 loaded, -1 failed; read with atomics */
static char why[512];

static void load(void)
{
    void *h = dlopen(LIBCRYPTO, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(why, sizeof why,
                 "cannot load OpenSSL's %s (%s); attestation needs it "
                 "(Debian: apt-get install libssl3)",
                 LIBCRYPTO, e ? e : "unknown reason");
        state = -1;
        return;
    }
    pl_ossl_table t;
#define PL_OSSL_SYM(f)                                                         \
    {                                                                          \
        void *p = dlsym(h, #f);                                                \
        if (!p) {                                                              \
            snprintf(why, sizeof why,                                          \
                     "%s lacks %s: it is not the OpenSSL 3 this program "      \
                     "was built for",                                          \
                     LIBCRYPTO, #f);                                           \
            dlclose(h);                                                        \
            state = -1;                                                        \
            return;                                                            \
        }                                                                      \
        memcpy(&t.f, &p, sizeof p);                                            \
    }
    PL_OSSL_FUNCS(PL_OSSL_SYM)
#undef PL_OSSL_SYM
    pl_ossl = t;
    __atomic_store_n(&state, 1, __ATOMIC_RELEASE);
}

int pl_ossl_load(void)
{
    pthread_once(&once, load);
    return __atomic_load_n(&state, __ATOMIC_ACQUIRE) > 0 ? 0 : -1;
}

int pl_ossl_loaded(void)
{
    return __atomic_load_n(&state, __ATOMIC_ACQUIRE) > 0;
}

const char *pl_ossl_error(void)
{
    return why;
}

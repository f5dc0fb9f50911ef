/* The OpenSSL table filled with the functions themselves (ossl.h): for
 * programs that link libcrypto, where nothing needs loading. */
#define PL_OSSL_REAL_NAMES
#include "ossl.h"

pl_ossl_table pl_ossl = {
#define PL_OSSL_DIRECT(f) .f = f,
    PL_OSSL_FUNCS(PL_OSSL_DIRECT)
#undef PL_OSSL_DIRECT
};

int pl_ossl_load(void)
{
    return 0;
}

int pl_ossl_loaded(void)
{
    return 1;
}

const char *pl_ossl_error(void)
{
    return "";
}

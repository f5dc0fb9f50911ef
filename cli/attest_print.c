/* Printing attestation document fields, for people and for scripts. */
#include "cli_attest.h"
#include "escape.h"

#include "keys.h"

#include <sodium.h>
#include <string.h>
#include <time.h>

/* The PCRs the issue names: image, kernel, application, IAM role, instance,
 * signing certificate. */
static const int shown_pcrs[] = {0, 1, 2, 3, 4, 8};

static void hex(FILE *f, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x", p[i]);
}

static void utc_ms(uint64_t ms, char out[40])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char s[32];
    if (!gmtime_r(&t, &tm) || !strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm))
        snprintf(s, sizeof s, "@%llu", (unsigned long long)(ms / 1000));
    snprintf(out, 40, "%s.%03uZ", s, (unsigned)(ms % 1000));
}

static void base64(FILE *f, const uint8_t *p, size_t n)
{
    char b64[sodium_base64_ENCODED_LEN(PL_ATTEST_MAX_PUBLIC_KEY,
                                       sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, p, n, sodium_base64_VARIANT_ORIGINAL);
    fputs(b64, f);
}

void cli_attest_print_text(FILE *f, const pl_attest_info *info)
{
    char when[40];
    utc_ms(info->timestamp_ms, when);
    /* Text fields of a document from the peer: escaped (escape.h). */
    char id[4 * sizeof info->module_id], dg[4 * sizeof info->digest];
    fprintf(f, "module_id:  %s\n",
            pl_escape_str(info->module_id, id, sizeof id));
    fprintf(f, "timestamp:  %s (%llu ms)\n", when,
            (unsigned long long)info->timestamp_ms);
    fprintf(f, "digest:     %s\n", pl_escape_str(info->digest, dg, sizeof dg));
    for (size_t i = 0; i < sizeof shown_pcrs / sizeof shown_pcrs[0]; i++) {
        int n = shown_pcrs[i];
        fprintf(f, "pcr%d:%*s", n, n < 10 ? 7 : 6, "");
        if (info->pcr_mask & (1u << n))
            hex(f, info->pcr[n], PL_ATTEST_PCR_LEN);
        else
            fputs("(absent)", f);
        fputc('\n', f);
    }
    fprintf(f, "debug:      %s\n",
            info->debug ? "yes (PCR0, PCR1 and PCR2 are all zero)" : "no");
    fputs("public_key: ", f);
    if (info->has_public_key)
        base64(f, info->public_key, sizeof info->public_key);
    else if (info->public_key_len) {
        base64(f, info->public_key_raw, info->public_key_len);
        fprintf(f, " (%zu bytes, not a pipeline server key)",
                info->public_key_len);
    } else
        fputs("(absent)", f);
    fputc('\n', f);
    if (info->user_data_len) {
        fputs("user_data:  ", f);
        hex(f, info->user_data, info->user_data_len);
        fputc('\n', f);
    }
    if (info->nonce_len) {
        fputs("nonce:      ", f);
        hex(f, info->nonce, info->nonce_len);
        fputc('\n', f);
    }
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void cli_attest_print_json(FILE *f, const pl_attest_info *info, int decoded,
                           const pl_error *failure)
{
    fprintf(f, "{\"valid\": %s", failure ? "false" : "true");
    if (failure) {
        fputs(", \"error\": ", f);
        json_string(f, failure->msg);
    }
    if (decoded) {
        char when[40];
        utc_ms(info->timestamp_ms, when);
        fputs(", \"module_id\": ", f);
        json_string(f, info->module_id);
        fprintf(f,
                ", \"timestamp_ms\": %llu, \"time\": \"%s\", \"digest\": "
                "\"%s\", \"pcrs\": {",
                (unsigned long long)info->timestamp_ms, when, info->digest);
        const char *sep = "";
        for (int n = 0; n < PL_ATTEST_MAX_PCRS; n++) {
            if (!(info->pcr_mask & (1u << n)))
                continue;
            fprintf(f, "%s\"%d\": \"", sep, n);
            hex(f, info->pcr[n], PL_ATTEST_PCR_LEN);
            fputc('"', f);
            sep = ", ";
        }
        fprintf(f, "}, \"debug\": %s, \"public_key\": ",
                info->debug ? "true" : "false");
        if (info->public_key_len) {
            fputc('"', f);
            base64(f, info->public_key_raw, info->public_key_len);
            fputc('"', f);
        } else
            fputs("null", f);
        fputs(", \"user_data\": ", f);
        if (info->user_data_len) {
            fputc('"', f);
            hex(f, info->user_data, info->user_data_len);
            fputc('"', f);
        } else
            fputs("null", f);
        fputs(", \"nonce\": ", f);
        if (info->nonce_len) {
            fputc('"', f);
            hex(f, info->nonce, info->nonce_len);
            fputc('"', f);
        } else
            fputs("null", f);
    }
    fputs("}\n", f);
}

#include "escape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of a valid UTF-8 sequence of two or more bytes at p (at most n
 * bytes), or 0: no overlong forms, no surrogates, nothing past U+10FFFF. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    size_t len;
    uint8_t lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return len;
}

int pl_utf8_valid(const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len;) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t u = utf8_len(p + i, len - i);
        if (!u)
            return 0;
        i += u;
    }
    return 1;
}

char *pl_escape(const void *data, size_t len, char *out, size_t cap)
{
    const uint8_t *p = data;
    size_t o = 0, i = 0;
    /* Room for one escape, "..." and the NUL. */
    while (i < len && o + 8 < cap) {
        uint8_t c = p[i];
        if (c >= 0x20 && c < 0x7f) {
            out[o++] = (char)c;
            i++;
            continue;
        }
        size_t u = c >= 0x80 ? utf8_len(p + i, len - i) : 0;
        /* U+0080..U+009F (C1 controls) are 0xc2 0x80..0x9f. */
        if (u == 2 && c == 0xc2 && p[i + 1] < 0xa0)
            u = 0;
        if (u) { /* fits: the loop keeps room for 8 bytes */
            memcpy(out + o, p + i, u);
            o += u;
            i += u;
            continue;
        }
        o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
        i++;
    }
    if (i < len)
        o += (size_t)snprintf(out + o, cap - o, "...");
    out[o] = '\0';
    return out;
}

char *pl_escape_str(const char *s, char *out, size_t cap)
{
    return pl_escape(s, strlen(s), out, cap);
}

void pl_escape_inplace(char *s, size_t cap)
{
    size_t n = strlen(s);
    /* Nothing to do for the common case: our own text. */
    int clean = 1;
    for (size_t i = 0; i < n && clean; i++)
        clean = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f;
    if (clean)
        return;
    char *copy = malloc(n + 1);
    if (!copy) {
        /* No memory: still never let a control byte through. */
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
                s[i] = '?';
        return;
    }
    memcpy(copy, s, n + 1);
    pl_escape(copy, n, s, cap);
    free(copy);
}

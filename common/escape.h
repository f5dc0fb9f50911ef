/*
 * Peer bytes made safe to show: the one escaping helper for everything a
 * peer can put into a log line, a terminal or a proto3 `string` field.
 *
 * The result is valid UTF-8 with no control characters: printable ASCII
 * and valid UTF-8 sequences are kept; C0 controls (newline, ESC, ...), DEL,
 * the C1 controls U+0080..U+009F (some terminals act on them), and bytes
 * that are not valid UTF-8 become "\xNN", one per byte. So a peer can
 * neither forge a log line, nor send a terminal escape sequence, nor make
 * a strict protobuf decoder reject our message. Escaping is idempotent:
 * escaping the result again changes nothing.
 */
#ifndef PIPELINE_ESCAPE_H
#define PIPELINE_ESCAPE_H

#include <stddef.h>
#include <stdint.h>

/* Escapes len bytes at p into out (cap bytes, at least 9, always
 * NUL-terminated); when out is too small the result ends with "...".
 * Returns out. */
char *pl_escape(const void *p, size_t len, char *out, size_t cap);

/* pl_escape of a NUL-terminated string. */
char *pl_escape_str(const char *s, char *out, size_t cap);

/* Escapes a NUL-terminated string in place (the result is cut short with
 * "..." when it does not fit cap bytes). */
void pl_escape_inplace(char *s, size_t cap);

/* True when len bytes at p are valid UTF-8 (what a proto3 string field
 * must hold). */
int pl_utf8_valid(const void *p, size_t len);

#endif

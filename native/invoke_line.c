/*
 * The warm path's one host message, `invoke`, read without a JSON tree. The
 * host's encoder writes its fields in one order (lib/protocol/codec.ts,
 * encodeInvoke); a line in exactly that shape, with strings free of escapes,
 * is read here in one pass. Anything else, a valid message written another
 * way included, is left to JS_ParseJSON: this is a shortcut, not a second
 * grammar.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

typedef struct Cursor {
    const char *s;
    size_t len;
    size_t i;
} Cursor;

static bool literal(Cursor *c, const char *text) {
    size_t n = strlen(text);
    if (c->len - c->i < n || memcmp(c->s + c->i, text, n) != 0)
        return false;
    c->i += n;
    return true;
}

/* A string without escapes or control characters; `*at`, `*n` its contents. */
static bool plain_string(Cursor *c, const char **at, size_t *n) {
    size_t start;

    if (c->i >= c->len || c->s[c->i] != '"')
        return false;
    start = ++c->i;
    while (c->i < c->len) {
        unsigned char ch = (unsigned char)c->s[c->i];
        if (ch == '"') {
            *at = c->s + start;
            *n = c->i - start;
            c->i++;
            return true;
        }
        if (ch == '\\' || ch < 0x20)
            return false;
        c->i++;
    }
    return false;
}

/* The body: base64 in a JSON string. Its end found with memchr, not a
 * character at a time (a 10 KB body was 100k instructions); a backslash in it
 * means another encoder, for the JSON path. Other characters base64 does not
 * have are the decoder's to refuse. */
static bool base64_string(Cursor *c, const char **at, size_t *n) {
    const char *start, *end;

    if (c->i >= c->len || c->s[c->i] != '"')
        return false;
    start = c->s + c->i + 1;
    end = memchr(start, '"', c->len - c->i - 1);
    if (end == NULL || memchr(start, '\\', (size_t)(end - start)) != NULL)
        return false;
    *at = start;
    *n = (size_t)(end - start);
    c->i = (size_t)(end - c->s) + 1;
    return true;
}

/* A non-negative integer of at most 15 digits (what the host sends for ids and milliseconds). */
static bool count(Cursor *c, int64_t *out) {
    int64_t v = 0;
    size_t digits = 0;

    while (c->i < c->len && c->s[c->i] >= '0' && c->s[c->i] <= '9' && digits < 15) {
        v = v * 10 + (c->s[c->i++] - '0');
        digits++;
    }
    if (digits == 0 || (c->i < c->len && ((c->s[c->i] >= '0' && c->s[c->i] <= '9') || c->s[c->i] == '.' ||
                                          c->s[c->i] == 'e' || c->s[c->i] == 'E')))
        return false;
    *out = v;
    return true;
}

bool qw__read_invoke_line(const char *line, size_t len, QWInvokeLine *out) {
    Cursor c = {line, len, 0};
    int64_t n;

    memset(out, 0, sizeof(*out));
    if (!literal(&c, "{\"id\":") || !count(&c, &out->id) || !literal(&c, ",\"type\":\"invoke\",\"payload\":{\"method\":") ||
        !plain_string(&c, &out->method, &out->method_len) || !literal(&c, ",\"url\":") ||
        !plain_string(&c, &out->url, &out->url_len) || !literal(&c, ",\"headers\":["))
        return false;
    while (!literal(&c, "]")) {
        QWHeaderSpan *h;
        if (out->header_count == QW_INVOKE_LINE_HEADERS)
            return false;
        if (out->header_count > 0 && !literal(&c, ","))
            return false;
        h = &out->headers[out->header_count++];
        if (!literal(&c, "[") || !plain_string(&c, &h->name, &h->name_len) || !literal(&c, ",") ||
            !plain_string(&c, &h->value, &h->value_len) || !literal(&c, "]"))
            return false;
    }
    if (!literal(&c, ",\"body\":"))
        return false;
    if (literal(&c, "null"))
        out->body = NULL;
    else if (!base64_string(&c, &out->body, &out->body_len))
        return false;
    if (!literal(&c, ",\"cpuMs\":") || !count(&c, &n))
        return false;
    out->cpu_ms = (double)n;
    if (!literal(&c, ",\"timeoutMs\":") || !count(&c, &n))
        return false;
    out->timeout_ms = (double)n;
    return literal(&c, "}}") && c.i == c.len;
}

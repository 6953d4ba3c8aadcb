/*
 * UTF-8 and base64 for TextEncoder/TextDecoder, the body plumbing and the
 * host-call bodies. Both directions follow the Encoding Standard: a lone
 * surrogate is encoded as U+FFFD, and decoding replaces each maximal
 * ill-formed subsequence with one U+FFFD (the engine's own decoder differs:
 * it lets encoded surrogates through and counts truncated sequences
 * differently), so text that is not valid UTF-8 goes through utf8_repair.
 */
#include <string.h>

#include "private.h"

/* Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
static bool utf8_valid(const uint8_t *s, size_t len) {
    size_t i = 0;

    while (i < len) {
        uint8_t c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            /* ASCII runs eight bytes at a time: most bodies are ASCII
             * throughout (a third of a 10 KB JSON body's .json() went here). */
            uint64_t w;
            i++;
            while (len - i >= 8) {
                memcpy(&w, s + i, 8);
                if (w & 0x8080808080808080ull)
                    break;
                i += 8;
            }
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        for (size_t k = 1; k <= n; k++) {
            if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        i += n + 1;
    }
    return true;
}

/* The standard's UTF-8 decoder with replacement: valid sequences are copied,
 * each error becomes EF BF BD (U+FFFD). Its lower/upper boundaries for the
 * second byte reject overlongs, surrogates and code points past U+10FFFF at
 * the first byte that cannot continue the sequence, which is then looked at
 * again as the start of the next one. */
static void utf8_repair(const uint8_t *s, size_t len, QWBuf *out) {
    static const char fffd[] = "\xef\xbf\xbd";
    size_t i = 0, start = 0;
    unsigned needed = 0, seen = 0;
    uint8_t lower = 0x80, upper = 0xbf;

    while (i < len) {
        uint8_t c = s[i];
        if (needed == 0) {
            start = i;
            i++;
            if (c < 0x80) {
                qw__buf_append(out, (const char *)&c, 1);
            } else if (c >= 0xc2 && c <= 0xdf) {
                needed = 1;
            } else if (c >= 0xe0 && c <= 0xef) {
                lower = c == 0xe0 ? 0xa0 : 0x80;
                upper = c == 0xed ? 0x9f : 0xbf;
                needed = 2;
            } else if (c >= 0xf0 && c <= 0xf4) {
                lower = c == 0xf0 ? 0x90 : 0x80;
                upper = c == 0xf4 ? 0x8f : 0xbf;
                needed = 3;
            } else {
                qw__buf_append(out, fffd, 3);
            }
            continue;
        }
        if (c < lower || c > upper) {
            needed = seen = 0;
            lower = 0x80;
            upper = 0xbf;
            qw__buf_append(out, fffd, 3);
            continue; /* c is looked at again */
        }
        lower = 0x80;
        upper = 0xbf;
        i++;
        if (++seen == needed) {
            qw__buf_append(out, (const char *)s + start, i - start);
            needed = seen = 0;
        }
    }
    if (needed != 0)
        qw__buf_append(out, fffd, 3);
}

/* utf8Encode(string) -> Uint8Array. The engine writes a lone surrogate as its
 * three WTF-8 bytes (ED A0..BF xx), which no valid UTF-8 contains; they become
 * EF BF BD, the same length, in the copy. */
static JSValue js_utf8_encode(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    size_t len, n, i;
    const char *s = JS_ToCStringLen(ctx, &len, argv[0]);
    JSValue r;
    uint8_t *p;
    bool maybe_surrogate;

    if (!s)
        return JS_EXCEPTION;
    r = JS_NewUint8ArrayCopy(ctx, (const uint8_t *)s, len);
    maybe_surrogate = memchr(s, 0xed, len) != NULL;
    JS_FreeCString(ctx, s);
    if (JS_IsException(r) || !maybe_surrogate)
        return r;
    p = JS_GetUint8Array(ctx, &n, r);
    for (i = 0; p && i + 2 < n; i++) {
        if (p[i] == 0xed && p[i + 1] >= 0xa0) {
            p[i] = 0xef;
            p[i + 1] = 0xbf;
            p[i + 2] = 0xbd;
            i += 2;
        }
    }
    return r;
}

/* utf8Decode(Uint8Array, fatal) -> string */
static JSValue js_utf8_decode(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    size_t len = 0;
    uint8_t *p = JS_GetUint8Array(ctx, &len, argv[0]);

    if (!p) {
        if (JS_HasException(ctx))
            return JS_EXCEPTION;
        return JS_NewStringLen(ctx, "", 0);
    }
    if (utf8_valid(p, len))
        return JS_NewStringLen(ctx, (const char *)p, len);
    if (JS_ToBool(ctx, argv[1]))
        return JS_ThrowTypeError(ctx, "The encoded data was not valid for encoding utf-8");
    {
        QWBuf b = {0};
        JSValue r;
        utf8_repair(p, len, &b);
        r = JS_NewStringLen(ctx, b.data ? b.data : "", b.len);
        qw__buf_free(&b);
        return r;
    }
}

/* base64Encode(Uint8Array) -> string */
static JSValue js_base64_encode(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    size_t len = 0;
    uint8_t *p = JS_GetUint8Array(ctx, &len, argv[0]);
    QWBuf b = {0};
    JSValue r;

    if (!p && JS_HasException(ctx))
        return JS_EXCEPTION;
    qw__buf_base64(&b, p, len);
    r = JS_NewStringLen(ctx, b.data ? b.data : "", b.len);
    qw__buf_free(&b);
    return r;
}

/* base64Decode(string) -> Uint8Array */
static JSValue js_base64_decode(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    size_t len, out_len = 0;
    const char *s = JS_ToCStringLen(ctx, &len, argv[0]);
    uint8_t *buf;
    JSValue r;

    if (!s)
        return JS_EXCEPTION;
    buf = malloc(qw__base64_decoded_max(len));
    CHECK(buf != NULL);
    if (qw__base64_decode(s, len, buf, &out_len) != 0) {
        JS_FreeCString(ctx, s);
        free(buf);
        return JS_ThrowTypeError(ctx, "invalid base64 data");
    }
    JS_FreeCString(ctx, s);
    r = JS_NewUint8ArrayCopy(ctx, buf, out_len);
    free(buf);
    return r;
}

static const JSCFunctionListEntry encoding_funcs[] = {
    JS_CFUNC_DEF("utf8Encode", 1, js_utf8_encode),
    JS_CFUNC_DEF("utf8Decode", 2, js_utf8_decode),
    JS_CFUNC_DEF("base64Encode", 1, js_base64_encode),
    JS_CFUNC_DEF("base64Decode", 1, js_base64_decode),
};

void qw__mod_encoding_init(JSContext *ctx, JSValue ns) {
    JS_SetPropertyFunctionList(ctx, ns, encoding_funcs, QW_COUNTOF(encoding_funcs));
}

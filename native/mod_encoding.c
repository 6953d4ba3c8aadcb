/*
 * UTF-8 and base64 for TextEncoder/TextDecoder, the body plumbing and the
 * host-call bodies. The engine's own UTF-8 decoder replaces bad sequences
 * with U+FFFD; `fatal` decoding validates first.
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
            i++;
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

/* utf8Encode(string) -> Uint8Array */
static JSValue js_utf8_encode(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    size_t len;
    const char *s = JS_ToCStringLen(ctx, &len, argv[0]);
    JSValue r;

    if (!s)
        return JS_EXCEPTION;
    r = JS_NewUint8ArrayCopy(ctx, (const uint8_t *)s, len);
    JS_FreeCString(ctx, s);
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
    if (JS_ToBool(ctx, argv[1]) && !utf8_valid(p, len))
        return JS_ThrowTypeError(ctx, "The encoded data was not valid for encoding utf-8");
    return JS_NewStringLen(ctx, (const char *)p, len);
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

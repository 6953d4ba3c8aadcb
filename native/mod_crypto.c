/*
 * crypto.getRandomValues and crypto.randomUUID from the kernel's CSPRNG
 * (getrandom), as the Web Crypto API specifies: integer typed arrays only,
 * at most 65536 bytes per call.
 */
#include <errno.h>
#include <sys/random.h>

#include "private.h"

static int fill_random(uint8_t *p, size_t len) {
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static JSValue js_get_random_values(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    int type = JS_GetTypedArrayType(argv[0]);
    size_t offset, length, elem, size;
    JSValue buffer;
    uint8_t *data;

    if (type < 0 || type == JS_TYPED_ARRAY_FLOAT16 || type == JS_TYPED_ARRAY_FLOAT32 ||
        type == JS_TYPED_ARRAY_FLOAT64)
        return JS_ThrowTypeError(ctx, "crypto.getRandomValues: the argument must be an integer TypedArray");
    buffer = JS_GetTypedArrayBuffer(ctx, argv[0], &offset, &length, &elem);
    if (JS_IsException(buffer))
        return buffer;
    data = JS_GetArrayBuffer(ctx, &size, buffer);
    JS_FreeValue(ctx, buffer);
    if (length > 65536)
        return JS_ThrowRangeError(ctx,
                                  "crypto.getRandomValues: %zu bytes requested, at most 65536 are "
                                  "allowed (QuotaExceededError)",
                                  length);
    if (length > 0 && (!data || offset + length > size))
        return JS_ThrowTypeError(ctx, "crypto.getRandomValues: detached buffer");
    if (length > 0 && fill_random(data + offset, length) != 0)
        return JS_ThrowInternalError(ctx, "crypto.getRandomValues: getrandom failed");
    return JS_DupValue(ctx, argv[0]);
}

static JSValue js_random_uuid(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    static const char hex[] = "0123456789abcdef";
    uint8_t b[16];
    char out[37];
    int i, o = 0;

    if (fill_random(b, sizeof(b)) != 0)
        return JS_ThrowInternalError(ctx, "crypto.randomUUID: getrandom failed");
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
    return JS_NewStringLen(ctx, out, 36);
}

static const JSCFunctionListEntry crypto_funcs[] = {
    JS_CFUNC_DEF("getRandomValues", 1, js_get_random_values),
    JS_CFUNC_DEF("randomUUID", 0, js_random_uuid),
};

void qw__mod_crypto_init(JSContext *ctx, JSValue ns) {
    JS_SetPropertyFunctionList(ctx, ns, crypto_funcs, QW_COUNTOF(crypto_funcs));
}

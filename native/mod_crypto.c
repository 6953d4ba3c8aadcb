/*
 * crypto.getRandomValues and crypto.randomUUID from the kernel's CSPRNG
 * (getrandom), as the Web Crypto API specifies: integer typed arrays only,
 * at most 65536 bytes per call. With the unit-test sandbox's randomSeed they,
 * and Math.random, draw from a seeded sfc32 generator instead: the same
 * generator, byte order and Math.random construction as quickjs-wasm's
 * (lib/workers/wasm/seeded-random.ts), so one seed gives one run on both.
 */
#include <errno.h>
#include <sys/random.h>
#include <unistd.h>

#include "private.h"

static uint32_t sfc32_next(uint32_t *st) {
    uint32_t t = st[0] + st[1] + st[3];

    st[3] += 1;
    st[0] = st[1] ^ (st[1] >> 9);
    st[1] = st[2] + (st[2] << 3);
    st[2] = (st[2] << 21) | (st[2] >> 11);
    st[2] += t;
    return t;
}

void qw__seed_random(QWRuntime *qw, uint32_t seed) {
    int i;

    qw->seeded = true;
    qw->rng[0] = 0x9e3779b9u;
    qw->rng[1] = 0x243f6a88u;
    qw->rng[2] = 0xb7e15162u;
    qw->rng[3] = seed;
    for (i = 0; i < 15; i++)
        sfc32_next(qw->rng);
}

/* One 32-bit word per four bytes, little-endian; a partial last word's other
 * bytes are dropped (as quickjs-wasm's generator does). */
static void fill_seeded(QWRuntime *qw, uint8_t *p, size_t len) {
    size_t i, k;

    for (i = 0; i < len; i += 4) {
        uint32_t n = sfc32_next(qw->rng);
        for (k = 0; k < 4 && i + k < len; k++)
            p[i + k] = (uint8_t)(n >> (k * 8));
    }
}

static int fill_random(QWRuntime *qw, uint8_t *p, size_t len) {
    if (qw->seeded) {
        fill_seeded(qw, p, len);
        return 0;
    }
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
    if (length > 0 && fill_random(qw__get(ctx), data + offset, length) != 0)
        return JS_ThrowInternalError(ctx, "crypto.getRandomValues: getrandom failed");
    return JS_DupValue(ctx, argv[0]);
}

static JSValue js_random_uuid(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    static const char hex[] = "0123456789abcdef";
    uint8_t b[16];
    char out[37];
    int i, o = 0;

    if (fill_random(qw__get(ctx), b, sizeof(b)) != 0)
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

/* xorshift64*, the engine's own Math.random generator. */
static uint64_t xorshift64star(uint64_t *state) {
    uint64_t x = *state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Math.random. A seeded run takes 53 bits from two sfc32 words, as
 * quickjs-wasm builds it; otherwise the engine's construction (52 bits of
 * xorshift64* as a double in [1, 2), minus one) on the process's own state. */
static JSValue js_math_random(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    QWRuntime *qw = qw__get(ctx);
    union {
        double d;
        uint64_t u;
    } v;

    if (qw->seeded) {
        uint8_t b[8];
        uint32_t hi, lo;
        fill_seeded(qw, b, sizeof(b));
        hi = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        lo = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24;
        return JS_NewFloat64(ctx, ((double)hi * 2097152.0 + (double)(lo >> 11)) / 9007199254740992.0);
    }
    v.u = ((uint64_t)0x3ff << 52) | (xorshift64star(&qw->math_rng) >> 12);
    return JS_NewFloat64(ctx, v.d - 1.0);
}

/* The engine seeds Math.random per context from the time of day, and the
 * state lives in the context: a context prepared in the zygote would give
 * every worker forked from it the same sequence. The state is the
 * process's instead, drawn from the kernel in each worker (qw__reseed). */
void qw__reseed(QWRuntime *qw) {
    do {
        if (getrandom(&qw->math_rng, sizeof(qw->math_rng), 0) != (ssize_t)sizeof(qw->math_rng)) {
            /* Only before the kernel's pool is initialised, never on a running system. */
            qw->math_rng = uv_hrtime() ^ ((uint64_t)getpid() << 32);
        }
    } while (qw->math_rng == 0); /* xorshift's one fixed point */
}

/* Replaces the engine's Math.random in a new user context, before the
 * prelude or the handler can take a reference to it. */
int qw__install_math_random(JSContext *ctx) {
    JSValue global = JS_GetGlobalObject(ctx);
    JSValue math = JS_GetPropertyStr(ctx, global, "Math");
    JSValue fn = JS_NewCFunction(ctx, js_math_random, "random", 0);
    int rc = JS_IsException(fn) ? -1
                                : JS_DefinePropertyValueStr(ctx, math, "random", fn,
                                                            JS_PROP_WRITABLE | JS_PROP_CONFIGURABLE);

    JS_FreeValue(ctx, math);
    JS_FreeValue(ctx, global);
    return rc < 0 ? -1 : 0;
}

void qw__mod_crypto_init(JSContext *ctx, JSValue ns) {
    JS_SetPropertyFunctionList(ctx, ns, crypto_funcs, QW_COUNTOF(crypto_funcs));
}

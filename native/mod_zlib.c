/*
 * zlib for CompressionStream/DecompressionStream (native/prelude/compression.js):
 * one z_stream per stream object, allocated through the engine's allocator so
 * that zlib's windows count against the runtime's memory limit.
 *
 *   zlibOpen(inflate, windowBits) -> handle
 *   zlibPush(handle, bytes, finish) -> [status, unusedInputBytes, message, ...chunks]
 *     status: 0 needs more input, 1 the stream ended, -1 corrupt data
 *   zlibClose(handle)              frees zlib's state (also done by the finalizer)
 *
 * Optional: built only where CMakeLists.txt finds zlib (QW_HAVE_ZLIB); without
 * it the binding has none of these and the prelude runs pako instead.
 */
#include "private.h"

#ifdef QW_HAVE_ZLIB
#include <zlib.h>

#define QW_ZLIB_CHUNK (64 * 1024)

typedef struct {
    z_stream s;
    int inflate;
    int open;
} QWZlib;

static JSClassID qw_zlib_class_id;

static voidpf zlib_alloc(voidpf opaque, uInt items, uInt size) {
    if (size != 0 && items > SIZE_MAX / size)
        return Z_NULL;
    return js_malloc_rt((JSRuntime *)opaque, (size_t)items * size);
}

static void zlib_free(voidpf opaque, voidpf p) {
    js_free_rt((JSRuntime *)opaque, p);
}

static void zlib_end(QWZlib *z) {
    if (!z->open)
        return;
    if (z->inflate)
        inflateEnd(&z->s);
    else
        deflateEnd(&z->s);
    z->open = 0;
}

static void zlib_finalizer(JSRuntime *rt, JSValue val) {
    QWZlib *z = JS_GetOpaque(val, qw_zlib_class_id);
    if (z) {
        zlib_end(z);
        js_free_rt(rt, z);
    }
}

static JSClassDef zlib_class = {"ZlibStream", .finalizer = zlib_finalizer};

static JSValue js_zlib_open(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    JSRuntime *rt = JS_GetRuntime(ctx);
    int is_inflate = JS_ToBool(ctx, argv[0]);
    int32_t bits;
    int rc;
    QWZlib *z;
    JSValue obj;

    if (JS_ToInt32(ctx, &bits, argv[1]) != 0)
        return JS_EXCEPTION;
    if (!(bits == 15 || bits == -15 || bits == 31))
        return JS_ThrowRangeError(ctx, "zlibOpen: windowBits must be 15, -15 or 31");
    obj = JS_NewObjectClass(ctx, (int)qw_zlib_class_id);
    if (JS_IsException(obj))
        return obj;
    z = js_mallocz_rt(rt, sizeof(*z));
    if (!z) {
        JS_FreeValue(ctx, obj);
        return JS_ThrowOutOfMemory(ctx);
    }
    z->s.zalloc = zlib_alloc;
    z->s.zfree = zlib_free;
    z->s.opaque = rt;
    z->inflate = is_inflate;
    if (is_inflate)
        rc = inflateInit2(&z->s, bits);
    else
        rc = deflateInit2(&z->s, 6, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY);
    if (rc != Z_OK) {
        js_free_rt(rt, z);
        JS_FreeValue(ctx, obj);
        if (rc == Z_MEM_ERROR)
            return JS_ThrowOutOfMemory(ctx);
        return JS_ThrowInternalError(ctx, "zlib failed to start");
    }
    z->open = 1;
    JS_SetOpaque(obj, z);
    return obj;
}

static JSValue js_zlib_push(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    QWZlib *z = JS_GetOpaque2(ctx, argv[0], qw_zlib_class_id);
    int finish = JS_ToBool(ctx, argv[2]);
    uint8_t out[QW_ZLIB_CHUNK];
    uint8_t *in;
    size_t in_len = 0;
    uint32_t n = 3;
    int status = 0, rc;
    const char *message = NULL;
    JSValue result, chunk;

    if (!z)
        return JS_EXCEPTION;
    if (!z->open)
        return JS_ThrowTypeError(ctx, "zlibPush: the stream is closed");
    in = JS_GetUint8Array(ctx, &in_len, argv[1]);
    if (!in && JS_HasException(ctx))
        return JS_EXCEPTION;
    if (in_len > UINT_MAX)
        return JS_ThrowRangeError(ctx, "zlibPush: chunk too large");
    result = JS_NewArray(ctx);
    if (JS_IsException(result))
        return result;
    /* zlib reads the input only during the calls below; the bytes stay owned by argv[1]. */
    z->s.next_in = in_len ? in : Z_NULL;
    z->s.avail_in = (uInt)in_len;
    for (;;) {
        size_t produced;

        z->s.next_out = out;
        z->s.avail_out = sizeof(out);
        if (z->inflate)
            rc = inflate(&z->s, Z_NO_FLUSH);
        else
            rc = deflate(&z->s, finish ? Z_FINISH : Z_NO_FLUSH);
        produced = sizeof(out) - z->s.avail_out;
        if (produced > 0) {
            chunk = JS_NewUint8ArrayCopy(ctx, out, produced);
            if (JS_IsException(chunk) || JS_SetPropertyUint32(ctx, result, n++, chunk) < 0) {
                JS_FreeValue(ctx, result);
                return JS_EXCEPTION;
            }
        }
        if (rc == Z_STREAM_END) {
            status = 1;
            break;
        }
        if (rc == Z_MEM_ERROR) {
            JS_FreeValue(ctx, result);
            return JS_ThrowOutOfMemory(ctx);
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            status = -1;
            message = z->s.msg ? z->s.msg : "the compressed data is corrupt";
            break;
        }
        /* A full buffer may mean more output for the same input. */
        if (z->s.avail_out == 0)
            continue;
        if (z->s.avail_in == 0 || rc == Z_BUF_ERROR)
            break;
    }
    JS_SetPropertyUint32(ctx, result, 0, JS_NewInt32(ctx, status));
    JS_SetPropertyUint32(ctx, result, 1, JS_NewInt64(ctx, (int64_t)z->s.avail_in));
    JS_SetPropertyUint32(ctx, result, 2, message ? JS_NewString(ctx, message) : JS_UNDEFINED);
    z->s.next_in = Z_NULL;
    z->s.avail_in = 0;
    if (status != 0)
        zlib_end(z);
    return result;
}

static JSValue js_zlib_close(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    QWZlib *z = JS_GetOpaque2(ctx, argv[0], qw_zlib_class_id);
    if (!z)
        return JS_EXCEPTION;
    zlib_end(z);
    return JS_UNDEFINED;
}

static const JSCFunctionListEntry zlib_funcs[] = {
    JS_CFUNC_DEF("zlibOpen", 2, js_zlib_open),
    JS_CFUNC_DEF("zlibPush", 3, js_zlib_push),
    JS_CFUNC_DEF("zlibClose", 1, js_zlib_close),
};

void qw__mod_zlib_init(JSContext *ctx, JSValue ns) {
    JSRuntime *rt = JS_GetRuntime(ctx);

    if (qw_zlib_class_id == 0)
        JS_NewClassID(rt, &qw_zlib_class_id);
    if (!JS_IsRegisteredClass(rt, qw_zlib_class_id))
        JS_NewClass(rt, qw_zlib_class_id, &zlib_class);
    JS_SetPropertyFunctionList(ctx, ns, zlib_funcs, QW_COUNTOF(zlib_funcs));
}

#else
/* Built without zlib (CMakeLists.txt found none): the prelude uses pako. */
void qw__mod_zlib_init(JSContext *ctx, JSValue ns) {}
#endif

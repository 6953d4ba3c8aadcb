/*
 * structuredClone through the engine's own object serializer: no bytecode,
 * object references allowed (cycles and shared references survive). The
 * prelude turns a failure into a DataCloneError.
 */
#include "private.h"

static JSValue js_clone(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    size_t size = 0;
    uint8_t *buf;
    JSValue r;

    if (JS_IsFunction(ctx, argv[0]))
        return JS_ThrowTypeError(ctx, "function could not be cloned");
    buf = JS_WriteObject(ctx, &size, argv[0], JS_WRITE_OBJ_REFERENCE);
    if (!buf)
        return JS_EXCEPTION;
    r = JS_ReadObject(ctx, buf, size, JS_READ_OBJ_REFERENCE);
    js_free(ctx, buf);
    return r;
}

static const JSCFunctionListEntry clone_funcs[] = {
    JS_CFUNC_DEF("clone", 1, js_clone),
};

void qw__mod_clone_init(JSContext *ctx, JSValue ns) {
    JS_SetPropertyFunctionList(ctx, ns, clone_funcs, QW_COUNTOF(clone_funcs));
}

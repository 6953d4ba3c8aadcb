/*
 * console.* output. The prelude formats the arguments; this sends one `log`
 * message straight on fd 3 (never stdout), cut to limits.maxLogBytes.
 */
#include <string.h>

#include "private.h"

static const char *const levels[] = {"debug", "info", "log", "warn", "error"};

/* log(level, message) */
static JSValue js_log(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    QWRuntime *qw = qw__get(ctx);
    const char *level = "log", *msg, *lv;
    size_t len, i;

    lv = JS_ToCString(ctx, argv[0]);
    if (!lv)
        return JS_EXCEPTION;
    for (i = 0; i < QW_COUNTOF(levels); i++)
        if (strcmp(lv, levels[i]) == 0)
            level = levels[i];
    JS_FreeCString(ctx, lv);
    msg = JS_ToCStringLen(ctx, &len, argv[1]);
    if (!msg)
        return JS_EXCEPTION;
    qw__send_log(qw, qw->current_id, level, msg, len);
    JS_FreeCString(ctx, msg);
    return JS_UNDEFINED;
}

static const JSCFunctionListEntry console_funcs[] = {
    JS_CFUNC_DEF("log", 2, js_log),
};

void qw__mod_console_init(JSContext *ctx, JSValue ns) {
    JS_SetPropertyFunctionList(ctx, ns, console_funcs, QW_COUNTOF(console_funcs));
}

/*
 * The prelude's side of the protocol: it hands over its callbacks (setup)
 * and answers invocations (respond, fail). Late answers for invocations that
 * were cancelled or hit a limit are dropped here.
 */
#include <string.h>
#include <sys/resource.h>

#include "private.h"

static JSValue js_setup(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    QWRuntime *qw = qw__get(ctx);
    JSValueConst obj = argv[0];

    if (!JS_IsObject(obj))
        return JS_ThrowTypeError(ctx, "setup expects an object");
    JS_FreeValue(ctx, qw->cb_invoke);
    JS_FreeValue(ctx, qw->cb_cancel);
    JS_FreeValue(ctx, qw->cb_set_handler);
    JS_FreeValue(ctx, qw->cb_configure);
    JS_FreeValue(ctx, qw->fs_api);
    /* invoke(id, payload)'s twin with the payload's fields as arguments. */
    qw->cb_invoke = JS_GetPropertyStr(ctx, obj, "invokeArgs");
    qw->cb_cancel = JS_GetPropertyStr(ctx, obj, "cancel");
    qw->cb_set_handler = JS_GetPropertyStr(ctx, obj, "setHandler");
    qw->cb_configure = JS_GetPropertyStr(ctx, obj, "configure");
    qw->fs_api = JS_GetPropertyStr(ctx, obj, "fs");
    CHECK(JS_IsFunction(ctx, qw->cb_invoke) && JS_IsFunction(ctx, qw->cb_cancel) &&
          JS_IsFunction(ctx, qw->cb_set_handler) && JS_IsFunction(ctx, qw->cb_configure));
    return JS_UNDEFINED;
}

static int append_js_string(JSContext *ctx, QWBuf *b, JSValueConst v) {
    size_t len;
    const char *s = JS_ToCStringLen(ctx, &len, v);

    if (!s)
        return -1;
    qw__buf_json_string(b, s, len);
    JS_FreeCString(ctx, s);
    return 0;
}

/* The end of a response line: what the invocation cost. */
static void append_figures(QWBuf *b, double cpu_ms, int64_t peak_rss_bytes) {
    qw__buf_puts(b, ",\"cpuMs\":");
    qw__buf_millis(b, cpu_ms);
    qw__buf_puts(b, ",\"peakMemoryBytes\":");
    qw__buf_int(b, peak_rss_bytes);
    qw__buf_puts(b, "}}");
}

/* respond(id, status, statusText, headers: [name, value][], body: Uint8Array | null) */
static JSValue js_respond(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    QWRuntime *qw = qw__get(ctx);
    QWInvocation *inv;
    int64_t id, n = 0, i;
    int32_t status;
    size_t body_len = 0;
    uint8_t *body = NULL;
    QWBuf b = {0};
    uint64_t cpu_ns;
    int64_t peak_rss;
    double cpu_ms;

    if (JS_ToInt64(ctx, &id, argv[0]) || JS_ToInt32(ctx, &status, argv[1]))
        return JS_EXCEPTION;
    inv = qw__find_invocation(qw, id);
    if (!inv)
        return JS_UNDEFINED;
    if (!JS_IsNull(argv[4]) && !JS_IsUndefined(argv[4])) {
        body = JS_GetUint8Array(ctx, &body_len, argv[4]);
        if (!body && body_len == 0 && JS_HasException(ctx))
            return JS_EXCEPTION;
    }
    if (body_len >= QW_GC_BODY_BYTES)
        qw->gc_wanted = true;
    if (body_len > qw->max_body_bytes) {
        char msg[200];
        snprintf(msg, sizeof(msg), "The response body has %zu bytes, more than limits.maxBodyBytes (%zu).",
                 body_len, qw->max_body_bytes);
        qw__send_error(qw, id, "RESPONSE_TOO_LARGE", "RangeError", msg, NULL);
        qw__finish_invocation(qw, inv);
        return JS_UNDEFINED;
    }
    qw__buf_puts(&b, "{\"id\":");
    qw__buf_int(&b, id);
    qw__buf_puts(&b, ",\"type\":\"response\",\"payload\":{\"status\":");
    qw__buf_int(&b, status);
    qw__buf_puts(&b, ",\"statusText\":");
    if (append_js_string(ctx, &b, argv[2]))
        goto fail;
    qw__buf_puts(&b, ",\"headers\":[");
    if (JS_GetLength(ctx, argv[3], &n))
        goto fail;
    for (i = 0; i < n; i++) {
        JSValue pair = JS_GetPropertyInt64(ctx, argv[3], i);
        JSValue name = JS_GetPropertyInt64(ctx, pair, 0);
        JSValue value = JS_GetPropertyInt64(ctx, pair, 1);
        int bad;
        qw__buf_puts(&b, i ? ",[" : "[");
        bad = append_js_string(ctx, &b, name);
        qw__buf_puts(&b, ",");
        bad = bad || append_js_string(ctx, &b, value);
        qw__buf_puts(&b, "]");
        JS_FreeValue(ctx, pair);
        JS_FreeValue(ctx, name);
        JS_FreeValue(ctx, value);
        if (bad)
            goto fail;
    }
    qw__buf_puts(&b, "],\"body\":");
    qw__answer_figures(qw, inv, &cpu_ns, &peak_rss);
    cpu_ms = (double)cpu_ns / 1e6;
    if (body && body_len >= QW_STREAM_BODY_MIN) {
        /* Never the whole base64 form in memory: it is encoded as it goes out. */
        QWBuf tail = {0};
        qw__buf_puts(&b, "\"");
        qw__buf_puts(&tail, "\"");
        append_figures(&tail, cpu_ms, peak_rss);
        qw__send_streamed(qw, &b, argv[4], &tail);
    } else {
        if (body) {
            qw__buf_puts(&b, "\"");
            qw__buf_base64(&b, body, body_len);
            qw__buf_puts(&b, "\"");
        } else {
            qw__buf_puts(&b, "null");
        }
        append_figures(&b, cpu_ms, peak_rss);
        qw__send(qw, &b);
    }
    qw__buf_free(&b);
    qw__finish_invocation(qw, inv);
    qw__spin_after_answer(qw);
    return JS_UNDEFINED;
fail:
    qw__buf_free(&b);
    return JS_EXCEPTION;
}

/* fail(id, error[, code]): the handler threw, rejected or returned a
 * non-Response; the prelude names RESPONSE_TOO_LARGE itself (a body stream it
 * stopped reading at maxBodyBytes). */
static JSValue js_fail(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    QWRuntime *qw = qw__get(ctx);
    const char *code = "HANDLER_ERROR";
    int64_t id;

    if (JS_ToInt64(ctx, &id, argv[0]))
        return JS_EXCEPTION;
    if (!qw__find_invocation(qw, id)) {
        if (qw__is_oom(ctx, argv[1]))
            qw__fail_invocation(qw, 0, "MEMORY_LIMIT", argv[1]);
        return JS_UNDEFINED;
    }
    if (JS_IsObject(argv[1])) {
        JSValue c = JS_GetPropertyStr(ctx, argv[1], "code");
        const char *s = JS_IsString(c) ? JS_ToCString(ctx, c) : NULL;
        if (s && strcmp(s, "CAPABILITY_DENIED") == 0)
            code = "CAPABILITY_DENIED";
        if (s)
            JS_FreeCString(ctx, s);
        JS_FreeValue(ctx, c);
    }
    if (argc > 2 && JS_IsString(argv[2])) {
        const char *s = JS_ToCString(ctx, argv[2]);
        bool too_large = s && strcmp(s, "RESPONSE_TOO_LARGE") == 0;
        if (s)
            JS_FreeCString(ctx, s);
        if (too_large)
            code = "RESPONSE_TOO_LARGE";
    }
    qw__fail_invocation(qw, id, code, argv[1]);
    return JS_UNDEFINED;
}

static JSValue js_current_id(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    return JS_NewInt64(ctx, qw__get(ctx)->current_id);
}

/* loadLazy(name): evaluates a lazily loaded part of the prelude (the URL or
 * Streams polyfill, crypto.subtle, ...) on first use; it leaves its exports on
 * a global for the prelude to pick up. */
static JSValue js_load_lazy(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    const char *name = JS_ToCString(ctx, argv[0]);
    const struct qw_prelude_part *part;
    JSValue fn;

    if (!name)
        return JS_EXCEPTION;
    for (part = qw_prelude_parts; part->name && strcmp(part->name, name) != 0; part++)
        ;
    JS_FreeCString(ctx, name);
    if (!part->name)
        return JS_ThrowTypeError(ctx, "no such lazy prelude part");
    fn = JS_ReadObject(ctx, part->bytecode, part->size, JS_READ_OBJ_BYTECODE);
    if (JS_IsException(fn))
        return fn;
    return JS_EvalFunction(ctx, fn);
}

/* denyEval(what): reports a refused eval/Function to the host. */
static JSValue js_deny_eval(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    QWRuntime *qw = qw__get(ctx);
    const char *what = JS_ToCString(ctx, argv[0]);

    if (!what)
        return JS_EXCEPTION;
    qw__send_denied(qw, qw->current_id, "eval", what, "allowEval is false");
    JS_FreeCString(ctx, what);
    return JS_UNDEFINED;
}

static JSValue call_job(JSContext *ctx, int argc, JSValueConst *argv) {
    return JS_Call(ctx, argv[0], JS_UNDEFINED, argc - 1, argv + 1);
}

/* queueJob(fn, a, b): fn(a, b) as one job at the end of the job queue, where
 * a reaction to a settled promise would go; what `await value` costs without
 * the promise, its reaction and the async function (the prelude reads a
 * handler's Response one job after the handler returned it). */
static JSValue js_queue_job(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    JSValueConst args[3];

    if (!JS_IsFunction(ctx, argv[0]))
        return JS_ThrowTypeError(ctx, "queueJob expects a function");
    args[0] = argv[0];
    args[1] = argc > 1 ? argv[1] : JS_UNDEFINED;
    args[2] = argc > 2 ? argv[2] : JS_UNDEFINED;
    if (JS_EnqueueJob(ctx, call_job, 3, args) < 0)
        return JS_EXCEPTION;
    return JS_UNDEFINED;
}

static const JSCFunctionListEntry host_funcs[] = {
    JS_CFUNC_DEF("setup", 1, js_setup),        JS_CFUNC_DEF("respond", 5, js_respond),
    JS_CFUNC_DEF("fail", 2, js_fail),          JS_CFUNC_DEF("currentId", 0, js_current_id),
    JS_CFUNC_DEF("loadLazy", 1, js_load_lazy), JS_CFUNC_DEF("denyEval", 1, js_deny_eval),
    JS_CFUNC_DEF("queueJob", 3, js_queue_job),
};

void qw__mod_host_init(JSContext *ctx, JSValue ns) {
    JS_SetPropertyFunctionList(ctx, ns, host_funcs, QW_COUNTOF(host_funcs));
}

/*
 * Host calls: work the worker cannot do itself (today only `fetch`) goes to
 * the host as a `call` message and comes back as a `result`. The host
 * checks the profile on every hop; the worker never opens a socket.
 */
#include <string.h>

#include "private.h"

static JSValue throw_denied(JSContext *ctx, const char *message) {
    JSValue err = JS_NewError(ctx);

    JS_SetPropertyStr(ctx, err, "name", JS_NewString(ctx, "TypeError"));
    JS_SetPropertyStr(ctx, err, "message", JS_NewString(ctx, message));
    JS_SetPropertyStr(ctx, err, "code", JS_NewString(ctx, "CAPABILITY_DENIED"));
    return JS_Throw(ctx, err);
}

/* hostCall(op, args) -> Promise<{ ok, value?, error? }> */
static JSValue js_host_call(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    QWRuntime *qw = qw__get(ctx);
    JSValue funcs[2], promise, json;
    const char *op, *args;
    size_t op_len, args_len;
    QWCall *c;
    QWBuf b = {0};

    op = JS_ToCStringLen(ctx, &op_len, argv[0]);
    if (!op)
        return JS_EXCEPTION;
    if (strcmp(op, "fetch") == 0 && !qw->caps.allow_net) {
        JSValue url = JS_GetPropertyStr(ctx, argv[1], "url");
        const char *u = JS_ToCString(ctx, url);
        qw__send_denied(qw, qw->current_id, "network", u ? u : "", "allowNetwork is false");
        if (u)
            JS_FreeCString(ctx, u);
        JS_FreeValue(ctx, url);
        JS_FreeCString(ctx, op);
        return throw_denied(ctx, "fetch is not allowed: the capability profile does not allow the network "
                                 "(allowNetwork: false).");
    }
    json = JS_JSONStringify(ctx, argv[1], JS_UNDEFINED, JS_UNDEFINED);
    if (JS_IsException(json)) {
        JS_FreeCString(ctx, op);
        return json;
    }
    args = JS_ToCStringLen(ctx, &args_len, json);
    JS_FreeValue(ctx, json);
    if (!args) {
        JS_FreeCString(ctx, op);
        return JS_EXCEPTION;
    }
    promise = JS_NewPromiseCapability(ctx, funcs);
    if (JS_IsException(promise)) {
        JS_FreeCString(ctx, op);
        JS_FreeCString(ctx, args);
        return promise;
    }
    c = calloc(1, sizeof(*c));
    CHECK(c != NULL);
    c->call = qw->next_call++;
    c->id = qw->current_id;
    c->resolve = funcs[0];
    c->reject = funcs[1];
    c->next = qw->calls;
    qw->calls = c;

    qw__buf_printf(&b, "{\"id\":%lld,\"type\":\"call\",\"payload\":{\"call\":%u,\"op\":", (long long)c->id,
                   c->call);
    qw__buf_json_string(&b, op, op_len);
    qw__buf_puts(&b, ",\"args\":");
    qw__buf_append(&b, args, args_len);
    qw__buf_puts(&b, "}}");
    qw__send(qw, &b);
    qw__buf_free(&b);
    JS_FreeCString(ctx, op);
    JS_FreeCString(ctx, args);
    return promise;
}

void qw__fetch_on_result(QWRuntime *qw, int64_t id, JSValue payload) {
    JSContext *ctx = qw->ctx;
    JSValue v = JS_GetPropertyStr(ctx, payload, "call"), ret;
    QWCall **pp, *c = NULL;
    int64_t call = -1;

    if (JS_IsNumber(v))
        JS_ToInt64(ctx, &call, v);
    JS_FreeValue(ctx, v);
    for (pp = &qw->calls; *pp; pp = &(*pp)->next) {
        if ((int64_t)(*pp)->call == call) {
            c = *pp;
            *pp = c->next;
            break;
        }
    }
    if (!c) {
        /* A call of a context dropped for isolation 'invocation' is expected. */
        if (call < 0 || call >= (int64_t)qw->first_live_call)
            fprintf(stderr, "bunbase-worker: result for unknown call %lld ignored\n", (long long)call);
        return;
    }
    qw__enter(qw, c->id);
    ret = JS_Call(ctx, c->resolve, JS_UNDEFINED, 1, (JSValueConst *)&payload);
    qw__check_after_call(qw, ret, c->id);
    JS_FreeValue(ctx, c->resolve);
    JS_FreeValue(ctx, c->reject);
    free(c);
}

void qw__fetch_free_all(QWRuntime *qw) {
    while (qw->calls) {
        QWCall *c = qw->calls;
        qw->calls = c->next;
        JS_FreeValue(qw->ctx, c->resolve);
        JS_FreeValue(qw->ctx, c->reject);
        free(c);
    }
}

static const JSCFunctionListEntry fetch_funcs[] = {
    JS_CFUNC_DEF("hostCall", 2, js_host_call),
};

void qw__mod_fetch_init(JSContext *ctx, JSValue ns) {
    JS_SetPropertyFunctionList(ctx, ns, fetch_funcs, QW_COUNTOF(fetch_funcs));
}

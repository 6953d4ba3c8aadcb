/*
 * The fake clock of the unit-test sandbox (init's `fakeClock`): `Date`,
 * `performance.now` and timers move only when the host sends `advanceTime`
 * (`pool.advanceTime(ms)`), as quickjs-wasm's clock does
 * (lib/workers/wasm/sandbox-clock.ts). The time lives in the runtime, so a
 * context renewed for isolation 'invocation' keeps it. Deadlines and CPU
 * limits stay on the real clocks.
 *
 * Without the fake clock, `performance` is ours too (qw__performance_install):
 * the engine keeps its time origin in the context, so a context prepared in
 * the zygote would count performance.now() from the zygote's start in every
 * worker forked from it. Ours counts from the runtime's origin, which moves
 * when a context is made and when the worker receives init
 * (qw__clock_restart).
 */
#include <string.h>
#include <sys/time.h>

#include "private.h"

/* `Date` as a function gives the time as a string; `new Date()` the fake now;
 * with arguments the engine's Date does the work. data[0] is the engine's
 * Date; a constructor call gets new.target as this (JS_CallConstructor). */
static JSValue js_fake_date(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv, int magic,
                            JSValueConst *data) {
    QWRuntime *qw = qw__get(ctx);
    JSValue now, ret;

    if (!JS_IsFunction(ctx, this_val)) {
        JSValue d = JS_NewDate(ctx, qw->fake_now_ms);
        if (JS_IsException(d))
            return d;
        ret = JS_ToString(ctx, d);
        JS_FreeValue(ctx, d);
        return ret;
    }
    if (argc > 0)
        return JS_CallConstructor2(ctx, data[0], this_val, argc, argv);
    now = JS_NewFloat64(ctx, qw->fake_now_ms);
    return JS_CallConstructor2(ctx, data[0], this_val, 1, (JSValueConst *)&now);
}

static JSValue js_fake_date_now(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    return JS_NewFloat64(ctx, qw__get(ctx)->fake_now_ms);
}

/* performance.now() counts from the context's creation; data[0] is timeOrigin. */
static JSValue js_fake_performance_now(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv,
                                       int magic, JSValueConst *data) {
    double origin = 0;

    JS_ToFloat64(ctx, &origin, data[0]);
    return JS_NewFloat64(ctx, qw__get(ctx)->fake_now_ms - origin);
}

#define RW (JS_PROP_WRITABLE | JS_PROP_CONFIGURABLE)

/* Defines `name` on `obj` (taking `v`); -1 with an exception when it cannot. */
static int def(JSContext *ctx, JSValueConst obj, const char *name, JSValue v, int flags) {
    return JS_DefinePropertyValueStr(ctx, obj, name, v, flags | JS_PROP_THROW) < 0 ? -1 : 0;
}

/* Replaces Date and performance in a new user context, before the prelude or
 * the handler can take a reference to the real ones. The engine's performance
 * object cannot be patched (its properties are read-only), so it is replaced,
 * as quickjs-wasm's binding does; the prelude adds User Timing to either. */
int qw__fake_clock_install(JSContext *ctx) {
    QWRuntime *qw = qw__get(ctx);
    JSValue global = JS_GetGlobalObject(ctx);
    JSValue real = JS_GetPropertyStr(ctx, global, "Date");
    JSValue proto = JS_GetPropertyStr(ctx, real, "prototype");
    JSValue perf = JS_NewObject(ctx);
    JSValue origin = JS_NewFloat64(ctx, qw->fake_now_ms);
    JSValue fake = JS_NewCFunctionData2(ctx, js_fake_date, "Date", 7, 0, 1, (JSValueConst *)&real);
    JSValue perf_now =
        JS_NewCFunctionData2(ctx, js_fake_performance_now, "now", 0, 0, 1, (JSValueConst *)&origin);
    int rc = -1;

    if (JS_IsException(fake) || JS_IsException(perf_now) || JS_IsException(perf) || !JS_IsObject(proto))
        goto done;
    JS_SetConstructorBit(ctx, fake, true);
    if (def(ctx, fake, "prototype", JS_DupValue(ctx, proto), 0) ||
        def(ctx, proto, "constructor", JS_DupValue(ctx, fake), RW) ||
        def(ctx, fake, "now", JS_NewCFunction(ctx, js_fake_date_now, "now", 0), RW) ||
        def(ctx, fake, "parse", JS_GetPropertyStr(ctx, real, "parse"), RW) ||
        def(ctx, fake, "UTC", JS_GetPropertyStr(ctx, real, "UTC"), RW) ||
        def(ctx, perf, "now", JS_DupValue(ctx, perf_now), JS_PROP_ENUMERABLE) ||
        def(ctx, perf, "timeOrigin", JS_DupValue(ctx, origin), JS_PROP_ENUMERABLE) ||
        def(ctx, global, "performance", JS_DupValue(ctx, perf), RW | JS_PROP_ENUMERABLE) ||
        def(ctx, global, "Date", JS_DupValue(ctx, fake), RW))
        goto done;
    rc = 0;
done:
    JS_FreeValue(ctx, fake);
    JS_FreeValue(ctx, perf_now);
    JS_FreeValue(ctx, origin);
    JS_FreeValue(ctx, perf);
    JS_FreeValue(ctx, proto);
    JS_FreeValue(ctx, real);
    JS_FreeValue(ctx, global);
    return rc;
}

void qw__clock_restart(QWRuntime *qw) {
    struct timeval tv;

    qw->perf_origin_ns = uv_hrtime();
    gettimeofday(&tv, NULL);
    qw->time_origin_ms = (double)tv.tv_sec * 1e3 + (double)tv.tv_usec / 1e3;
}

static JSValue js_performance_now(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    return JS_NewFloat64(ctx, (double)(uv_hrtime() - qw__get(ctx)->perf_origin_ns) / 1e6);
}

/* An accessor, as on the web's Performance.prototype: a data property could
 * not follow the origin when a forked worker moves it. */
static JSValue js_performance_time_origin(JSContext *ctx, JSValueConst this_val) {
    return JS_NewFloat64(ctx, qw__get(ctx)->time_origin_ms);
}

static const JSCFunctionListEntry performance_funcs[] = {
    JS_CFUNC_DEF2("now", 0, js_performance_now, JS_PROP_ENUMERABLE),
    JS_CGETSET_DEF2("timeOrigin", js_performance_time_origin, NULL, JS_PROP_ENUMERABLE),
};

/* `performance` with now() and timeOrigin in a new user context, in place of
 * the engine's (JS_AddPerformance); the prelude adds User Timing to it. The
 * origin moves to now, as the engine's does for each context. */
int qw__performance_install(JSContext *ctx) {
    JSValue global = JS_GetGlobalObject(ctx);
    JSValue perf = JS_NewObject(ctx);
    int rc = -1;

    qw__clock_restart(qw__get(ctx));
    if (JS_IsException(perf) ||
        JS_SetPropertyFunctionList(ctx, perf, performance_funcs, QW_COUNTOF(performance_funcs)) < 0 ||
        def(ctx, global, "performance", JS_DupValue(ctx, perf), RW | JS_PROP_ENUMERABLE))
        goto done;
    rc = 0;
done:
    JS_FreeValue(ctx, perf);
    JS_FreeValue(ctx, global);
    return rc;
}

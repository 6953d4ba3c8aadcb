/*
 * setTimeout / setInterval / clearTimeout / clearInterval on uv_timer_t.
 * A timer remembers the invocation that created it, so its callback's logs
 * and errors are attributed to that invocation. With the fake clock
 * (mod_clock.c) the uv timer is never started: timers fire when the host
 * moves the clock (qw__timers_advance).
 */
#include <string.h>

#include "private.h"

struct QWTimer {
    uv_timer_t handle;
    QWTimer *next;
    /* The link that points at this timer (the list head or the previous
     * timer's `next`): unlinking is O(1), so firing or clearing the oldest of
     * many timers does not walk the whole list. */
    QWTimer **pprev;
    QWTimer *hnext; /* the next timer in its bucket of qw->timer_buckets */
    QWRuntime *qw;
    int64_t timer_id;
    int64_t invocation_id;
    JSValue func;
    int argc;
    JSValue *argv;
    bool repeat;
    /* Fake clock only: when it falls due (ms since the epoch), its period, and
     * the order it was set or re-armed in, which breaks ties. */
    double due_ms;
    double every_ms;
    uint64_t seq;
};

static void on_timer_closed(uv_handle_t *handle) {
    QWTimer *t = handle->data;
    JSContext *ctx = t->qw->ctx;
    int i;

    JS_FreeValue(ctx, t->func);
    for (i = 0; i < t->argc; i++)
        JS_FreeValue(ctx, t->argv[i]);
    free(t->argv);
    free(t);
}

static QWTimer **bucket_of(QWRuntime *qw, int64_t id) {
    return &qw->timer_buckets[(uint64_t)id & qw->timer_bucket_mask];
}

/* Ids are handed out in sequence, so the low bits spread them evenly. */
static void hash_add(QWRuntime *qw, QWTimer *t) {
    QWTimer **b, *u;
    uint32_t size;

    if (qw->timer_count + 1 > (qw->timer_buckets ? qw->timer_bucket_mask + 1 : 0)) {
        size = qw->timer_buckets ? (qw->timer_bucket_mask + 1) * 2 : 64;
        free(qw->timer_buckets);
        qw->timer_buckets = calloc(size, sizeof(QWTimer *));
        CHECK(qw->timer_buckets != NULL);
        qw->timer_bucket_mask = size - 1;
        /* Every live timer is on the list: rebuild the buckets from it. */
        for (u = qw->timers; u; u = u->next) {
            b = bucket_of(qw, u->timer_id);
            u->hnext = *b;
            *b = u;
        }
    }
    b = bucket_of(qw, t->timer_id);
    t->hnext = *b;
    *b = t;
    qw->timer_count++;
}

static void hash_remove(QWRuntime *qw, QWTimer *t) {
    QWTimer **pp;

    for (pp = bucket_of(qw, t->timer_id); *pp; pp = &(*pp)->hnext) {
        if (*pp == t) {
            *pp = t->hnext;
            qw->timer_count--;
            return;
        }
    }
}

static void unlink_and_close(QWTimer *t) {
    hash_remove(t->qw, t);
    *t->pprev = t->next;
    if (t->next)
        t->next->pprev = t->pprev;
    uv_close((uv_handle_t *)&t->handle, on_timer_closed);
}

void qw__timers_close_all(QWRuntime *qw) {
    while (qw->timers)
        unlink_and_close(qw->timers);
    free(qw->timer_buckets);
    qw->timer_buckets = NULL;
}

static void fire(QWTimer *t) {
    QWRuntime *qw = t->qw;
    JSContext *ctx = qw->ctx;
    JSValue func = JS_DupValue(ctx, t->func), ret;
    int64_t id = t->invocation_id;

    if (!t->repeat)
        unlink_and_close(t);
    qw__enter(qw, id);
    qw->in_timer = true;
    /* The arguments stay owned by the timer, which may be closed (and its
     * values freed) only in the close callback, after this returns. */
    ret = JS_Call(ctx, func, JS_UNDEFINED, t->argc, (JSValueConst *)t->argv);
    JS_FreeValue(ctx, func);
    qw__check_after_call(qw, ret, id);
    qw->in_timer = false;
}

static void on_timer(uv_timer_t *handle) {
    fire(handle->data);
}

/* A repeating timer late by more than this restarts from now instead of
 * catching up tick by tick (as quickjs-wasm's clock). */
#define MAX_CATCH_UP_MS 1000

/*
 * Moves the fake clock forward by `ms`, firing every timer that falls due on
 * the way in order (ties in the order they were set), each followed by its
 * jobs; timers those set, if due by the end, fire in the same pass.
 */
void qw__timers_advance(QWRuntime *qw, double ms) {
    double end = qw->fake_now_ms + (ms > 0 ? ms : 0);

    while (!qw->exit_requested) {
        QWTimer *t, *next = NULL;
        for (t = qw->timers; t; t = t->next)
            if (t->due_ms <= end &&
                (!next || t->due_ms < next->due_ms || (t->due_ms == next->due_ms && t->seq < next->seq)))
                next = t;
        if (!next)
            break;
        if (next->due_ms > qw->fake_now_ms)
            qw->fake_now_ms = next->due_ms;
        if (next->repeat) {
            bool late = end - next->due_ms > MAX_CATCH_UP_MS;
            next->due_ms = (late ? end : next->due_ms) + next->every_ms;
            next->seq = qw->next_timer_seq++;
        }
        fire(next);
    }
    if (end > qw->fake_now_ms)
        qw->fake_now_ms = end;
}

static JSValue add_timer(JSContext *ctx, int argc, JSValueConst *argv, bool repeat) {
    QWRuntime *qw = qw__get(ctx);
    QWTimer *t;
    double delay = 0;
    int i;

    if (!JS_IsFunction(ctx, argv[0]))
        return JS_ThrowTypeError(ctx, "The callback of %s must be a function (strings are not evaluated)",
                                 repeat ? "setInterval" : "setTimeout");
    if (argc > 1 && JS_ToFloat64(ctx, &delay, argv[1]))
        return JS_EXCEPTION;
    /*
     * Below 1 ms is 0, except for a timer set by a timer (or its jobs): that
     * one waits 1 ms, as every such timer does in Node. libuv runs, in one
     * pass, every timer due by the time the pass began, and a 0 ms timer set
     * in the pass is due by then: a callback that re-arms itself with 0 would
     * keep the loop in that pass for ever, and the worker would never read
     * its next message again (nor free the fired timers, which are closed
     * only after the pass). With the fake clock, `advanceTime` would never
     * get past the chain. A first `setTimeout(f)` keeps its 0.
     */
    if (!(delay >= 1))
        delay = repeat || qw->in_timer ? 1 : 0;
    if (delay > 2147483647)
        delay = 1;
    t = calloc(1, sizeof(*t));
    CHECK(t != NULL);
    t->qw = qw;
    t->timer_id = qw->next_timer_id++;
    t->invocation_id = qw->current_id;
    t->func = JS_DupValue(ctx, argv[0]);
    t->repeat = repeat;
    t->argc = argc > 2 ? argc - 2 : 0;
    if (t->argc) {
        t->argv = calloc((size_t)t->argc, sizeof(JSValue));
        CHECK(t->argv != NULL);
        for (i = 0; i < t->argc; i++)
            t->argv[i] = JS_DupValue(ctx, argv[i + 2]);
    }
    CHECK(uv_timer_init(&qw->loop, &t->handle) == 0);
    t->handle.data = t;
    if (qw->fake_clock) {
        t->due_ms = qw->fake_now_ms + delay;
        t->every_ms = delay;
        t->seq = qw->next_timer_seq++;
    } else {
        uv_timer_start(&t->handle, on_timer, (uint64_t)delay, repeat ? (uint64_t)delay : 0);
    }
    hash_add(qw, t);
    t->next = qw->timers;
    if (t->next)
        t->next->pprev = &t->next;
    t->pprev = &qw->timers;
    qw->timers = t;
    return JS_NewInt64(ctx, t->timer_id);
}

static JSValue js_set_timeout(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    return add_timer(ctx, argc, argv, false);
}

static JSValue js_set_interval(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    return add_timer(ctx, argc, argv, true);
}

static JSValue js_clear_timer(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    QWRuntime *qw = qw__get(ctx);
    QWTimer *t;
    double id;

    if (!JS_IsNumber(argv[0]) || JS_ToFloat64(ctx, &id, argv[0]))
        return JS_UNDEFINED;
    if (!(id >= 1 && id < (double)qw->next_timer_id) || !qw->timer_buckets)
        return JS_UNDEFINED;
    for (t = *bucket_of(qw, (int64_t)id); t; t = t->hnext) {
        if ((double)t->timer_id == id) {
            unlink_and_close(t);
            break;
        }
    }
    return JS_UNDEFINED;
}

static const JSCFunctionListEntry timer_funcs[] = {
    JS_CFUNC_DEF("setTimeout", 2, js_set_timeout),
    JS_CFUNC_DEF("setInterval", 2, js_set_interval),
    JS_CFUNC_DEF("clearTimeout", 1, js_clear_timer),
    JS_CFUNC_DEF("clearInterval", 1, js_clear_timer),
};

void qw__mod_timers_init(JSContext *ctx, JSValue ns) {
    JS_SetPropertyFunctionList(ctx, ns, timer_funcs, QW_COUNTOF(timer_funcs));
}

/*
 * The runtime: one QWRuntime per process. It owns the libuv loop, the
 * QuickJS-NG runtime and the user context, reads `init`, loads the handler
 * module, dispatches protocol messages, enforces the engine-level limits and
 * tears everything down in one documented order (QW_Run, at the bottom).
 */
#include <dirent.h>
#include <malloc.h>
#include <math.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "private.h"
#include "qw_trace.h"

#ifdef QW_HAVE_SANDBOX
#include "sandbox.h"
#endif

/* ---- small helpers ------------------------------------------------------ */

QWRuntime *qw__get(JSContext *ctx) {
    return JS_GetRuntimeOpaque(JS_GetRuntime(ctx));
}

uint64_t qw__thread_cpu_ns(void) {
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void qw__request_exit(QWRuntime *qw, int code) {
    if (!qw->exit_requested) {
        qw->exit_requested = true;
        qw->exit_code = code;
    }
    uv_stop(&qw->loop);
}

/* A value the handler threw (or a field of it) as a C string of at most
 * QW_MAX_ERROR_TEXT bytes, cut at a character boundary with a note of the
 * cut, or NULL when converting it throws (no exception is left behind). A 60
 * MB stack had the message line built from it outgrow the worker's memory
 * (SIGABRT). */
static char *dup_bounded(JSContext *ctx, JSValueConst v) {
    size_t len, keep;
    const char *s = JS_ToCStringLen(ctx, &len, v);
    char *copy;

    if (!s) {
        JS_FreeValue(ctx, JS_GetException(ctx));
        return NULL;
    }
    if (len <= QW_MAX_ERROR_TEXT) {
        copy = strdup(s);
    } else {
        QWBuf b = {0};
        keep = QW_MAX_ERROR_TEXT;
        while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
            keep--;
        qw__buf_printf(&b, "%.*s… [truncated: %zu more bytes]", (int)keep, s, len - keep);
        copy = b.data;
    }
    JS_FreeCString(ctx, s);
    return copy;
}

/* A string field of a thrown value, bounded; NULL when it is no string or its getter throws. */
static char *dup_prop_string(JSContext *ctx, JSValueConst obj, const char *name) {
    JSValue v = JS_GetPropertyStr(ctx, obj, name);
    char *copy = NULL;

    if (JS_IsException(v))
        JS_FreeValue(ctx, JS_GetException(ctx));
    else if (JS_IsString(v))
        copy = dup_bounded(ctx, v);
    JS_FreeValue(ctx, v);
    return copy;
}

/* Error details as C strings (owned by the caller, free()). */
typedef struct QWErrorInfo {
    char *name;
    char *message;
    char *stack;
} QWErrorInfo;

static void error_info(JSContext *ctx, JSValueConst err, QWErrorInfo *info) {
    memset(info, 0, sizeof(*info));
    if (JS_IsObject(err)) {
        info->name = dup_prop_string(ctx, err, "name");
        info->message = dup_prop_string(ctx, err, "message");
        info->stack = dup_prop_string(ctx, err, "stack");
    }
    if (!info->message)
        info->message = dup_bounded(ctx, err);
    if (!info->message)
        info->message = strdup("(unprintable exception)");
    if (!info->name)
        info->name = strdup(JS_IsError(err) ? "Error" : "NonErrorThrown");
    /* QuickJS stacks hold only the frames; lead with "Name: message" as V8
     * and the protocol's example do. */
    if (info->stack && strncmp(info->stack, "    at ", 7) == 0) {
        QWBuf b = {0};
        qw__buf_printf(&b, "%s: %s\n%s", info->name, info->message, info->stack);
        free(info->stack);
        info->stack = b.data;
    }
}

static void error_info_free(QWErrorInfo *info) {
    free(info->name);
    free(info->message);
    free(info->stack);
}

bool qw__is_oom(JSContext *ctx, JSValueConst err) {
    QWRuntime *qw = qw__get(ctx);
    char *name, *message;
    bool oom;

    /* When even the error object cannot be allocated the engine throws null
     * instead; the allocator knows whether it refused anything (a handler's
     * own `throw null` is no refusal). */
    if (JS_IsNull(err))
        return qw->heap.refused;
    if (!JS_IsError(err))
        return false;
    name = dup_prop_string(ctx, err, "name");
    message = dup_prop_string(ctx, err, "message");
    oom = name && message && strcmp(name, "InternalError") == 0 && strcmp(message, "out of memory") == 0;
    free(name);
    free(message);
    return oom;
}

/* ---- invocations -------------------------------------------------------- */

int64_t qw__active_id(QWRuntime *qw) {
    return qw->invocations ? qw->invocations->id : 0;
}

QWInvocation *qw__find_invocation(QWRuntime *qw, int64_t id) {
    QWInvocation *inv;

    for (inv = qw->invocations; inv; inv = inv->next)
        if (inv->id == id)
            return inv;
    return NULL;
}

static void on_invocation_closed(uv_handle_t *handle) {
    free(handle->data);
}

void qw__finish_invocation(QWRuntime *qw, QWInvocation *inv) {
    QWInvocation **pp;

    for (pp = &qw->invocations; *pp; pp = &(*pp)->next) {
        if (*pp == inv) {
            *pp = inv->next;
            break;
        }
    }
    uv_close((uv_handle_t *)&inv->timer, on_invocation_closed);
    if (qw->shutting_down && !qw->invocations)
        qw__request_exit(qw, QW_EXIT_OK);
}

void qw__fail_invocation(QWRuntime *qw, int64_t id, const char *code, JSValueConst err) {
    QWInvocation *inv = id ? qw__find_invocation(qw, id) : NULL;
    QWErrorInfo info;
    bool oom = qw__is_oom(qw->ctx, err);

    if (oom)
        code = "MEMORY_LIMIT";
    error_info(qw->ctx, err, &info);
    /* A load failing for lack of memory is answered too: at init (id 0) or
     * in a context renewed for an invoke (isolation 'invocation'). */
    if (inv || ((id == 0 || id == qw->load_id) && oom)) {
        if (oom) {
            free(info.name);
            info.name = strdup("InternalError");
            free(info.message);
            info.message = strdup("The handler ran out of memory: it reached the maxMemory limit of the "
                                  "capability profile. The worker exits because its heap can no longer be "
                                  "trusted.");
        }
        qw__send_error(qw, id, code, info.name, info.message, info.stack);
        if (inv)
            qw__finish_invocation(qw, inv);
    } else {
        /* Nobody to answer: an error outside any invocation becomes a log. */
        QWBuf b = {0};
        if (info.stack)
            qw__buf_printf(&b, "Uncaught %s", info.stack);
        else
            qw__buf_printf(&b, "Uncaught %s: %s", info.name, info.message);
        qw__send_log(qw, id, "error", b.data, b.len);
        qw__buf_free(&b);
    }
    error_info_free(&info);
    if (oom)
        qw__request_exit(qw, QW_EXIT_MEMORY);
}

/* Takes the pending exception and reports it for invocation `id`. */
void qw__report_exception(QWRuntime *qw, int64_t id) {
    JSValue exc = JS_GetException(qw->ctx);

    if (JS_IsUncatchableError(exc) && qw->interrupt_code) {
        /* A limit fired: the invocation was answered by the interrupt handler. */
    } else {
        qw__fail_invocation(qw, id, "HANDLER_ERROR", exc);
    }
    JS_FreeValue(qw->ctx, exc);
}

/* Consumes `ret`, the result of a call into JS made on behalf of `id`, and
 * runs the promise jobs that call started. */
void qw__check_after_call(QWRuntime *qw, JSValue ret, int64_t id) {
    if (JS_IsException(ret))
        qw__report_exception(qw, id);
    else
        JS_FreeValue(qw->ctx, ret);
    qw__run_jobs(qw, id);
}

/*
 * CPU accounting per invocation. The worker has one thread; its CPU time is
 * cut into slices, each charged to the invocation whose code runs in it. A
 * slice starts when the loop enters JS for an invocation other than the
 * current slice's, so several invocations in flight each pay for their own
 * code only (loop overhead in between goes to the slice that is open).
 */
static void switch_slice(QWRuntime *qw, int64_t id) {
    QWInvocation *inv;
    uint64_t now;

    if (qw->slice_start_ns && id == qw->slice_id)
        return;
    if (qw->answer_turn == qw->turn) {
        /* An answer in this same turn read the clock: what ran since (reading
         * the next line of a batch) is loop overhead, which goes to the slice
         * that opens now rather than to the one closing. */
        qw->slice_wall_ns = qw->answer_wall_ns;
        now = qw->answer_cpu_ns;
        qw->answer_turn = 0;
    } else {
        /* The wall clock first: the CPU time spent after it was read cannot be
         * more than the wall time after it (see on_interrupt). */
        qw->slice_wall_ns = uv_hrtime();
        now = qw__thread_cpu_ns();
    }
    if (qw->slice_start_ns && qw->slice_id && (inv = qw__find_invocation(qw, qw->slice_id)) != NULL)
        inv->cpu_used_ns += now - qw->slice_start_ns;
    qw->slice_id = id;
    qw->slice_start_ns = now;
}

/* CPU time charged to `inv` so far; `now` is the thread CPU clock or 0. */
uint64_t qw__invocation_cpu_ns(QWRuntime *qw, QWInvocation *inv, uint64_t now) {
    uint64_t used = inv->cpu_used_ns;

    if (qw->slice_start_ns && qw->slice_id == inv->id)
        used += (now ? now : qw__thread_cpu_ns()) - qw->slice_start_ns;
    return used;
}

/*
 * The figures an answer carries. The thread's CPU clock and getrusage are
 * system calls (through the seccomp filter, about 1.5 us each on the virtual
 * machines we measure on), three per call where the handler's own work was a
 * few microseconds. Invocations answered in one turn of the loop (a batch
 * read at once, `concurrency` above 1) share one peak RSS reading, which only
 * grows, and the next invocation's slice opens at this CPU reading.
 */
void qw__answer_figures(QWRuntime *qw, QWInvocation *inv, uint64_t *cpu_ns, int64_t *peak_rss_bytes) {
    uint64_t wall = uv_hrtime(), now = qw__thread_cpu_ns();

    *cpu_ns = qw__invocation_cpu_ns(qw, inv, now);
    qw->answer_turn = qw->turn;
    qw->answer_cpu_ns = now;
    qw->answer_wall_ns = wall;
    if (qw->rusage_turn != qw->turn) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        qw->peak_rss_bytes = (int64_t)ru.ru_maxrss * 1024;
        qw->rusage_turn = qw->turn;
    }
    *peak_rss_bytes = qw->peak_rss_bytes;
}

/* Called at the start of every entry from the loop into JS. */
void qw__enter(QWRuntime *qw, int64_t id) {
    switch_slice(qw, id);
    qw->current_id = id;
    qw->interrupt_code = NULL;
    qw->entry_cpu_ns = 0;
}

static void on_wall_deadline(uv_timer_t *timer) {
    QWInvocation *inv = timer->data;
    QWRuntime *qw = inv->qw;
    int64_t id = inv->id;
    JSValue argv[1], ret;
    char msg[160];

    snprintf(msg, sizeof(msg), "The invocation did not finish within its timeout of %.0f ms (timeoutMs).",
             inv->timeout_ms);
    qw__send_error(qw, id, "TIMEOUT", "TimeoutError", msg, NULL);
    qw__finish_invocation(qw, inv);
    /* Let the handler's AbortSignal fire so it can stop pending work. */
    argv[0] = JS_NewInt64(qw->ctx, id);
    qw__enter(qw, id);
    ret = JS_Call(qw->ctx, qw->cb_cancel, JS_UNDEFINED, 1, (JSValueConst *)argv);
    qw__check_after_call(qw, ret, id);
}

/*
 * Whether `inv` may have used up its CPU budget, without asking the kernel.
 * One thread cannot use more CPU time than wall time passes, so while the
 * open slice's wall time plus the CPU charged before it stays under the
 * budget, the budget is not spent. The thread's CPU clock is a system call
 * (no vDSO for it), which a long computation otherwise made at every
 * interrupt tick, about a hundred times in 10 ms.
 */
static bool cpu_may_be_spent(QWRuntime *qw, QWInvocation *inv, uint64_t wall_now) {
    if (!qw->slice_start_ns || qw->slice_id != inv->id)
        return true;
    return inv->cpu_used_ns + (wall_now - qw->slice_wall_ns) >= inv->cpu_budget_ns;
}

/* Runs every JS_INTERRUPT_COUNTER_INIT engine ticks. */
static int on_interrupt(JSRuntime *rt, void *opaque) {
    QWRuntime *qw = opaque;
    QWInvocation *inv, *current;
    uint64_t now, cpu = 0;
    char msg[200];

    if (qw->interrupt_code)
        return 1;
    /* Code of an invocation that has already been answered (a timer or a
     * promise chain left behind) gets the profile's CPU budget per entry,
     * then it is stopped: nobody is waiting for it. */
    if (qw->current_id && qw->handler_set && qw->caps.max_cpu_ms > 0 &&
        !qw__find_invocation(qw, qw->current_id)) {
        cpu = qw__thread_cpu_ns();
        if (!qw->entry_cpu_ns)
            qw->entry_cpu_ns = cpu;
        else if (cpu - qw->entry_cpu_ns >= (uint64_t)(qw->caps.max_cpu_ms * 1e6)) {
            qw->interrupt_code = "CPU_LIMIT";
            return 1;
        }
    }
    if (!qw->handler_set && qw->load_cpu_start_ns && qw->caps.max_cpu_ms > 0 &&
        qw__thread_cpu_ns() - qw->load_cpu_start_ns >= (uint64_t)(qw->caps.max_cpu_ms * 1e6)) {
        snprintf(
            msg, sizeof(msg),
            "The module's top-level code used more than %.0f ms of CPU time (maxCpu); it was interrupted.",
            qw->caps.max_cpu_ms);
        qw__send_error(qw, qw->load_id, "BUNDLE_LOAD_ERROR", "RangeError", msg, NULL);
        qw__request_exit(qw, QW_EXIT_OK);
        qw->interrupt_code = "CPU_LIMIT";
        return 1;
    }
    if (!qw->invocations)
        return 0;
    /* Stop only the code that is running: the invocation it belongs to when
     * known, otherwise any that is over its limits. Another invocation's
     * expired wall clock is answered by its own timer once this code yields. */
    current = qw->current_id ? qw__find_invocation(qw, qw->current_id) : NULL;
    now = uv_hrtime();
    for (inv = current ? current : qw->invocations; inv; inv = current ? NULL : inv->next) {
        const char *code = NULL;
        if (inv->wall_deadline_ns && now >= inv->wall_deadline_ns) {
            code = "TIMEOUT";
            snprintf(msg, sizeof(msg),
                     "The invocation did not finish within its timeout of %.0f ms (timeoutMs); it was "
                     "interrupted.",
                     inv->timeout_ms);
        } else if (inv->cpu_budget_ns && cpu_may_be_spent(qw, inv, now)) {
            if (!cpu)
                cpu = qw__thread_cpu_ns();
            if (qw__invocation_cpu_ns(qw, inv, cpu) >= inv->cpu_budget_ns) {
                code = "CPU_LIMIT";
                snprintf(msg, sizeof(msg),
                         "The handler used more than %.0f ms of CPU time (the cpuMs/maxCpu limit); it was "
                         "interrupted.",
                         (double)inv->cpu_budget_ns / 1e6);
            }
        }
        if (code) {
            qw__send_error(qw, inv->id, code, code[0] == 'T' ? "TimeoutError" : "RangeError", msg, NULL);
            qw__finish_invocation(qw, inv);
            qw->interrupt_code = code;
            return 1;
        }
    }
    return 0;
}

/* ---- promise rejections and the job queue --------------------------------- */

static void on_rejection(JSContext *ctx, JSValueConst promise, JSValueConst reason, bool is_handled,
                         void *opaque) {
    QWRuntime *qw = opaque;
    QWRejection **pp, *r;

    if (!is_handled) {
        r = calloc(1, sizeof(*r));
        CHECK(r != NULL);
        r->id = qw->current_id;
        r->promise = JS_DupValue(ctx, promise);
        r->reason = JS_DupValue(ctx, reason);
        r->next = qw->rejections;
        qw->rejections = r;
        return;
    }
    for (pp = &qw->rejections; *pp; pp = &(*pp)->next) {
        r = *pp;
        if (JS_VALUE_GET_PTR(r->promise) == JS_VALUE_GET_PTR(promise)) {
            *pp = r->next;
            JS_FreeValue(ctx, r->promise);
            JS_FreeValue(ctx, r->reason);
            free(r);
            return;
        }
    }
}

static void free_rejections(QWRuntime *qw) {
    while (qw->rejections) {
        QWRejection *r = qw->rejections;
        qw->rejections = r->next;
        JS_FreeValue(qw->ctx, r->promise);
        JS_FreeValue(qw->ctx, r->reason);
        free(r);
    }
}

/* Reported only after the drain: a handler may still have been attached. */
static void report_rejections(QWRuntime *qw) {
    while (qw->rejections && !qw->exit_requested) {
        QWRejection *r = qw->rejections;
        bool is_load = !JS_IsUndefined(qw->load_promise) &&
                       JS_VALUE_GET_PTR(qw->load_promise) == JS_VALUE_GET_PTR(r->promise);
        qw->rejections = r->next;
        if (!is_load) {
            int64_t id = r->id ? r->id : qw__active_id(qw);
            if (!(JS_IsUncatchableError(r->reason)))
                qw__fail_invocation(qw, id, "HANDLER_ERROR", r->reason);
        }
        JS_FreeValue(qw->ctx, r->promise);
        JS_FreeValue(qw->ctx, r->reason);
        free(r);
    }
}

static void settle_load(QWRuntime *qw);

/*
 * Drains the job queue on behalf of invocation `id`. Every entry from the
 * loop into JS drains right after its call, as Node runs microtasks after
 * each macrotask: the promise jobs a timer, fs or host-call callback started
 * then run (and log, and fail) under that callback's invocation, which keeps
 * attribution right with several invocations in flight.
 */
void qw__run_jobs(QWRuntime *qw, int64_t id) {
    JSContext *ctx;
    int r;

    if (!qw->ctx)
        return;
    /* A limit that fires in one job also stops the jobs after it in this
     * drain: they are the rest of the chain that was interrupted. */
    qw__enter(qw, id);
    while (!qw->exit_requested) {
        qw->current_id = id;
        r = JS_ExecutePendingJob(qw->rt, &ctx);
        if (r == 0)
            break;
        if (r < 0)
            qw__report_exception(qw, id);
    }
    qw->interrupt_code = NULL;
    if (!qw->handler_set && !JS_IsUndefined(qw->load_promise))
        settle_load(qw);
    report_rejections(qw);
}

static void on_idle(uv_idle_t *handle) {
    QWRuntime *qw = handle->data;

    /* Only here to keep the loop from blocking: while jobs are pending, and
     * for a short while after an answer (see qw__spin_after_answer). While
     * spinning, give the core to anything else that is runnable (the host). */
    if (qw->spin_until_ns)
        sched_yield();
}

static void update_idle(QWRuntime *qw) {
    if (JS_IsJobPending(qw->rt) || (qw->spin_until_ns && uv_hrtime() < qw->spin_until_ns)) {
        uv_idle_start(&qw->idle, on_idle);
    } else {
        qw->spin_until_ns = 0;
        uv_idle_stop(&qw->idle);
    }
}

/*
 * After answering, the loop polls without sleeping for QW_SPIN_NS. On a
 * two-core machine waking a sleeping process on the other core costs tens of
 * microseconds; a host that sends the next invocation right away (a busy
 * worker) finds this one awake. It only spins while traffic is back to back
 * (the last invocation came within the window after the answer before it),
 * so a worker with sporadic traffic burns no CPU on it, and an idle one stops
 * after the window and sleeps in epoll_wait as usual.
 */
void qw__spin_after_answer(QWRuntime *qw) {
    uint64_t now;

    if (QW_SPIN_NS == 0 || qw->exit_requested)
        return;
    now = uv_hrtime();
    qw->last_answer_ns = now;
    if (!qw->traffic_hot)
        return;
    qw->spin_until_ns = now + QW_SPIN_NS;
    uv_idle_start(&qw->idle, on_idle);
}

static void note_invoke_arrival(QWRuntime *qw) {
    const uint64_t window = QW_SPIN_NS; /* a variable: QW_SPIN_NS may be 0 */

    qw->traffic_hot = qw->last_answer_ns && uv_hrtime() - qw->last_answer_ns < window;
}

static void on_check(uv_check_t *handle) {
    QWRuntime *qw = handle->data;

    qw__run_jobs(qw, qw__active_id(qw));
    /* A turn is one poll's reads and the jobs run after them: the loop may
     * sleep before the next (see qw__answer_figures). */
    qw->turn++;
    if (qw->exit_requested)
        return;
    /* Reference counting frees most garbage at once, but a body kept alive
     * by a cycle (a stream and its controller) would wait for the next
     * allocation-driven collection, holding megabytes of RSS meanwhile. */
    if (qw->gc_wanted && !qw->invocations) {
        qw->gc_wanted = false;
        JS_RunGC(qw->rt);
    }
    update_idle(qw);
}

/* ---- modules -------------------------------------------------------------- */

static char *module_normalize(JSContext *ctx, const char *base, const char *name, void *opaque) {
    /* Specifiers are names, never paths: nothing is resolved against the handler. */
    return js_strdup(ctx, name);
}

static JSModuleDef *module_loader(JSContext *ctx, const char *name, void *opaque) {
    QWRuntime *qw = opaque;

    if (strcmp(name, "node:fs/promises") == 0 || strcmp(name, "fs/promises") == 0) {
        if (!qw->caps.allow_fs) {
            qw__send_denied(qw, qw->current_id, "filesystem", name, "allowFilesystem is false");
            JS_ThrowTypeError(ctx,
                              "Cannot import '%s': the capability profile does not allow the filesystem "
                              "(allowFilesystem: false). [CAPABILITY_DENIED]",
                              name);
            return NULL;
        }
        return qw__fs_module(ctx, name);
    }
    JS_ThrowReferenceError(
        ctx,
        "Cannot find module '%s': a handler can import only 'node:fs/promises' (when the "
        "profile allows the filesystem). Bundle other dependencies into the handler source.",
        name);
    return NULL;
}

/* ---- init --------------------------------------------------------------- */

static void bad_settings(QWRuntime *qw, const char *fmt, const char *detail) {
    fprintf(stderr, "bunbase-worker: unusable init message: ");
    fprintf(stderr, fmt, detail ? detail : "");
    fprintf(stderr, "\n");
    qw__request_exit(qw, QW_EXIT_BAD_SETTINGS);
}

static int get_bool(JSContext *ctx, JSValueConst obj, const char *name, bool *out) {
    JSValue v = JS_GetPropertyStr(ctx, obj, name);
    int ok = JS_IsBool(v);

    if (ok)
        *out = JS_ToBool(ctx, v);
    JS_FreeValue(ctx, v);
    return ok ? 0 : -1;
}

static int get_number(JSContext *ctx, JSValueConst obj, const char *name, double *out) {
    JSValue v = JS_GetPropertyStr(ctx, obj, name);
    int ok = JS_IsNumber(v) && JS_ToFloat64(ctx, out, v) == 0 && *out >= 0;

    JS_FreeValue(ctx, v);
    return ok ? 0 : -1;
}

/* Absolute paths, canonicalised where they exist so later checks compare
 * realpaths with realpaths. */
static int get_paths(JSContext *ctx, JSValueConst obj, const char *name, char ***out, size_t *n) {
    JSValue v = JS_GetPropertyStr(ctx, obj, name);
    int64_t len = 0, i;
    int rc = -1;

    if (!JS_IsArray(v) || JS_GetLength(ctx, v, &len) < 0)
        goto done;
    *out = calloc((size_t)len + 1, sizeof(char *));
    CHECK(*out != NULL);
    for (i = 0; i < len; i++) {
        JSValue e = JS_GetPropertyInt64(ctx, v, i);
        const char *s = JS_IsString(e) ? JS_ToCString(ctx, e) : NULL;
        char *real;
        JS_FreeValue(ctx, e);
        if (!s || s[0] != '/') {
            if (s)
                JS_FreeCString(ctx, s);
            goto done;
        }
        real = realpath(s, NULL);
        (*out)[(*n)++] = real ? real : strdup(s);
        JS_FreeCString(ctx, s);
    }
    rc = 0;
done:
    JS_FreeValue(ctx, v);
    return rc;
}

static const char *parse_caps(QWRuntime *qw, JSContext *ctx, JSValueConst caps) {
    QWCaps *c = &qw->caps;

    if (!JS_IsObject(caps))
        return "capabilities";
    c->project_id = dup_prop_string(ctx, caps, "projectId");
    if (!c->project_id)
        return "capabilities.projectId";
    if (get_bool(ctx, caps, "allowFilesystem", &c->allow_fs))
        return "capabilities.allowFilesystem";
    if (get_bool(ctx, caps, "allowNetwork", &c->allow_net))
        return "capabilities.allowNetwork";
    if (get_bool(ctx, caps, "allowChildProcess", &c->allow_child))
        return "capabilities.allowChildProcess";
    if (get_bool(ctx, caps, "allowEval", &c->allow_eval))
        return "capabilities.allowEval";
    if (get_paths(ctx, caps, "allowedPaths", &c->allowed_paths, &c->n_allowed_paths))
        return "capabilities.allowedPaths";
    if (get_paths(ctx, caps, "readOnlyPaths", &c->read_only_paths, &c->n_read_only_paths))
        return "capabilities.readOnlyPaths";
    if (get_number(ctx, caps, "maxMemory", &c->max_memory))
        return "capabilities.maxMemory";
    if (get_number(ctx, caps, "maxCpu", &c->max_cpu_ms))
        return "capabilities.maxCpu";
    if (get_number(ctx, caps, "maxFileDescriptors", &c->max_fds))
        return "capabilities.maxFileDescriptors";
    return NULL;
}

static void free_caps(QWCaps *c) {
    size_t i;

    free(c->project_id);
    for (i = 0; i < c->n_allowed_paths; i++)
        free(c->allowed_paths[i]);
    free(c->allowed_paths);
    for (i = 0; i < c->n_read_only_paths; i++)
        free(c->read_only_paths[i]);
    free(c->read_only_paths);
    memset(c, 0, sizeof(*c));
}

/* The handler may hold maxFileDescriptors descriptors beyond the runtime's
 * own, so the limit is the highest descriptor open now plus the allowance. */
static void apply_fd_limit(QWRuntime *qw) {
    struct rlimit rl;
    DIR *d;
    struct dirent *e;
    long highest = 2;

    if (qw->caps.max_fds <= 0)
        return;
    d = opendir("/proc/self/fd");
    if (d) {
        while ((e = readdir(d)) != NULL) {
            long fd = strtol(e->d_name, NULL, 10);
            if (fd == dirfd(d))
                continue;
            if (fd > highest)
                highest = fd;
        }
        closedir(d);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rl.rlim_cur = (rlim_t)highest + 1 + (rlim_t)qw->caps.max_fds;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
        rl.rlim_cur = rl.rlim_max;
    qw->fd_limit = rl.rlim_cur;
    setrlimit(RLIMIT_NOFILE, &rl);
}

/*
 * The OS fence (native/sandbox.h), applied to this process once init is
 * parsed and before any of the handler's source is even parsed: a private
 * network namespace unless the profile allows network, no_new_privs,
 * Landlock (the profile's allowedPaths read-write, readOnlyPaths read-only,
 * nothing else: the binary is static and needs no files), rlimits and a
 * seccomp filter. It must run while the process has one thread: libuv starts
 * its thread pool only with the first fs operation, after this.
 * Returns -1 when a layer failed; the report is kept for `ready` either way.
 */
static int apply_os_fence(QWRuntime *qw) {
#ifdef QW_HAVE_SANDBOX
    QWSandboxPolicy policy;
    QWSandboxReport report;
    const char **rw = NULL, **ro = NULL;
    size_t i, n_rw = 0, n_ro = 0;
    char json[QW_SANDBOX_JSON_MAX];
    int rc;

    memset(&policy, 0, sizeof(policy));
    if (qw->early_fence) {
        report = *qw->early_fence;
        policy.netns_applied = 1;
    }
    if (qw->caps.allow_fs) {
        /* Landlock can only grant what exists; a missing directory stays
         * unreachable, which is what the API layer's check says as well. */
        rw = calloc(qw->caps.n_allowed_paths + 1, sizeof(char *));
        ro = calloc(qw->caps.n_read_only_paths + 1, sizeof(char *));
        CHECK(rw != NULL && ro != NULL);
        for (i = 0; i < qw->caps.n_allowed_paths; i++)
            if (access(qw->caps.allowed_paths[i], F_OK) == 0)
                rw[n_rw++] = qw->caps.allowed_paths[i];
        for (i = 0; i < qw->caps.n_read_only_paths; i++)
            if (access(qw->caps.read_only_paths[i], F_OK) == 0)
                ro[n_ro++] = qw->caps.read_only_paths[i];
        /* Every listed path missing must not turn into "all paths". */
        if (qw->caps.n_allowed_paths > 0 && n_rw == 0)
            policy.allow_filesystem = 0;
        else
            policy.allow_filesystem = 1;
    }
    policy.rw_paths = rw;
    policy.n_rw_paths = n_rw;
    policy.ro_paths = ro;
    policy.n_ro_paths = n_ro;
    /* The runtime has no child_process API; the OS refuses processes too. */
    policy.allow_child_process = 0;
    policy.allow_network = qw->caps.allow_net;
    policy.max_fds = qw->fd_limit;
    policy.workdir = qw->workdir;
#ifndef QW_DEBUG
    /* Sanitizer runtimes reserve terabytes of address space. */
    if (qw->caps.max_memory > 0)
        policy.address_space_bytes = (uint64_t)qw->caps.max_memory + QW_AS_HEADROOM;
#endif
    rc = qw_sandbox_apply(&policy, &report);
    free(rw);
    free(ro);
    qw->fenced = true;
    if (qw_sandbox_report_json(&report, json, sizeof(json)) >= 0)
        qw->sandbox_json = strdup(json);
    if (rc != 0)
        fprintf(stderr, "bunbase-worker: the OS fence could not be applied: %s\n", json);
    return rc;
#else
    (void)qw;
    return 0;
#endif
}

static void send_exception_as(QWRuntime *qw, JSContext *ctx, int64_t id, const char *code) {
    JSValue exc = JS_GetException(ctx);
    QWErrorInfo info;

    error_info(ctx, exc, &info);
    qw__send_error(qw, id, code, info.name, info.message, info.stack);
    error_info_free(&info);
    JS_FreeValue(ctx, exc);
}

static void load_failed(QWRuntime *qw, const char *message) {
    qw__send_error(qw, qw->load_id, "BUNDLE_LOAD_ERROR", "Error", message, NULL);
    qw__request_exit(qw, QW_EXIT_OK);
}

static JSContext *new_user_context(QWRuntime *qw) {
    JSContext *ctx = JS_NewContextRaw(qw->rt);

    if (!ctx)
        return NULL;
    /* No JS_AddIntrinsicEval: without it the engine has no way to compile
     * source at run time (eval, Function, AsyncFunction constructors all
     * fail), whatever the handler does. start_user_context adds it when the
     * profile allows eval, before any handler code. */
    if (JS_AddIntrinsicBaseObjects(ctx) || JS_AddIntrinsicDate(ctx) || JS_AddIntrinsicRegExp(ctx) ||
        JS_AddIntrinsicJSON(ctx) || JS_AddIntrinsicProxy(ctx) || JS_AddIntrinsicMapSet(ctx) ||
        JS_AddIntrinsicTypedArrays(ctx) || JS_AddIntrinsicPromise(ctx) || JS_AddIntrinsicWeakRef(ctx) ||
        JS_AddIntrinsicDOMException(ctx) || JS_AddIntrinsicAToB(ctx) || qw__performance_install(ctx) ||
        qw__install_math_random(ctx)) {
        JS_FreeContext(ctx);
        return NULL;
    }
    /* The fake clock goes in before the prelude takes Date and performance. */
    if (qw->fake_clock && qw__fake_clock_install(ctx) != 0) {
        JS_FreeContext(ctx);
        return NULL;
    }
    JS_SetContextOpaque(ctx, qw);
    return ctx;
}

static int load_prelude(QWRuntime *qw) {
    JSContext *ctx = qw->ctx;
    JSValue global = JS_GetGlobalObject(ctx);
    JSValue ns = JS_NewObject(ctx);
    JSValue fn, ret;

    qw__mod_host_init(ctx, ns);
    qw__mod_console_init(ctx, ns);
    qw__mod_timers_init(ctx, ns);
    qw__mod_encoding_init(ctx, ns);
    qw__mod_crypto_init(ctx, ns);
    qw__mod_zlib_init(ctx, ns);
    qw__mod_fetch_init(ctx, ns);
    qw__mod_fs_init(ctx, ns);
    /* Nothing of the pool's yet: env, allowEval and maxBodyBytes come
     * through the prelude's configure callback (configure_prelude), from init. */
    JS_SetPropertyStr(ctx, ns, "engineVersion", JS_NewString(ctx, JS_GetVersion()));
    /* The prelude takes this object and deletes the global. */
    JS_SetPropertyStr(ctx, global, "__qw", ns);
    JS_FreeValue(ctx, global);

    fn = JS_ReadObject(ctx, qw_prelude, qw_prelude_size, JS_READ_OBJ_BYTECODE);
    if (JS_IsException(fn))
        goto fail;
    ret = JS_EvalFunction(ctx, fn);
    if (JS_IsException(ret))
        goto fail;
    JS_FreeValue(ctx, ret);
    return 0;
fail:
    if (qw->loop.data == NULL) {
        /* In the zygote (QW_Prepare): no channel to answer on yet. */
        JSValue exc = JS_GetException(ctx);
        const char *text = JS_ToCString(ctx, exc);
        fprintf(stderr, "bunbase-worker: the prelude failed to load: %s\n", text ? text : "(no message)");
        JS_FreeCString(ctx, text);
        JS_FreeValue(ctx, exc);
        return -1;
    }
    send_exception_as(qw, ctx, qw->load_id, "BUNDLE_LOAD_ERROR");
    return -1;
}

/*
 * What needs no pool setting, done as soon as the worker exists, before init:
 * the user context with the prelude evaluated and the context the handler
 * will be compiled in. A forked spare is then ready for whichever pool takes
 * it, and a spawned worker does this while the host is still sending init.
 * Only our own code runs here; the fence comes with init, before the
 * handler's source is parsed.
 */
static int prepare(QWRuntime *qw) {
    qw_trace("engine");
    qw->cctx = JS_NewContextRaw(qw->rt);
    CHECK(qw->cctx != NULL);
    CHECK(JS_AddIntrinsicBaseObjects(qw->cctx) == 0 && JS_AddIntrinsicJSON(qw->cctx) == 0 &&
          JS_AddIntrinsicEval(qw->cctx) == 0);
    JS_AddIntrinsicRegExpCompiler(qw->cctx);
    qw->ctx = new_user_context(qw);
    CHECK(qw->ctx != NULL);
    if (load_prelude(qw) != 0)
        return -1;
    qw_trace("prepared");
    return 0;
}

/* The pool's settings for the prelude, once, before the handler loads. */
static int configure_prelude(QWRuntime *qw) {
    JSContext *ctx = qw->ctx;
    JSValue settings = JS_NewObject(ctx), ret;

    JS_SetPropertyStr(ctx, settings, "env", JS_DupValue(ctx, qw->env));
    JS_SetPropertyStr(ctx, settings, "allowEval", JS_NewBool(ctx, qw->caps.allow_eval));
    JS_SetPropertyStr(ctx, settings, "maxBodyBytes", JS_NewFloat64(ctx, (double)qw->max_body_bytes));
    ret = JS_Call(ctx, qw->cb_configure, JS_UNDEFINED, 1, (JSValueConst *)&settings);
    JS_FreeValue(ctx, settings);
    if (JS_IsException(ret)) {
        send_exception_as(qw, ctx, 0, "BUNDLE_LOAD_ERROR");
        return -1;
    }
    JS_FreeValue(ctx, ret);
    return 0;
}

/* The handler is compiled in a throw-away context that has the compiler, so
 * the user context never needs the eval intrinsic. Returns bytecode owned by
 * the runtime (js_free_rt), or NULL after answering BUNDLE_LOAD_ERROR. */
static uint8_t *compile_handler(QWRuntime *qw, JSContext *cctx, JSValueConst payload, size_t *size) {
    JSValue src = JS_GetPropertyStr(cctx, payload, "source");
    const char *code;
    size_t len;
    JSValue mod;
    uint8_t *bc = NULL;

    if (!JS_IsString(src)) {
        JS_FreeValue(cctx, src);
        bad_settings(qw, "payload.source must be a string%s", NULL);
        return NULL;
    }
    code = JS_ToCStringLen(cctx, &len, src);
    JS_FreeValue(cctx, src);
    if (!code) {
        send_exception_as(qw, cctx, 0, "BUNDLE_LOAD_ERROR");
        qw__request_exit(qw, QW_EXIT_OK);
        return NULL;
    }
    mod = JS_Eval(cctx, code, len, qw->filename, JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY);
    JS_FreeCString(cctx, code);
    if (JS_IsException(mod)) {
        send_exception_as(qw, cctx, 0, "BUNDLE_LOAD_ERROR");
        qw__request_exit(qw, QW_EXIT_OK);
        return NULL;
    }
    bc = JS_WriteObject(cctx, size, mod, JS_WRITE_OBJ_BYTECODE);
    JS_FreeValue(cctx, mod);
    if (!bc) {
        send_exception_as(qw, cctx, 0, "BUNDLE_LOAD_ERROR");
        qw__request_exit(qw, QW_EXIT_OK);
    }
    return bc;
}

static void send_ready(QWRuntime *qw) {
    QWBuf b = {0};
    bool first = true;

    qw__buf_printf(&b,
                   "{\"id\":0,\"type\":\"ready\",\"payload\":{\"protocol\":%d,\"runtime\":\"quickjs-ng\","
                   "\"version\":\"%s\",\"pid\":%d,\"features\":[",
                   QW_PROTOCOL_VERSION, JS_GetVersion(), (int)getpid());
#define FEATURE(cond, name)                                         \
    if (cond) {                                                     \
        qw__buf_puts(&b, first ? "\"" name "\"" : ",\"" name "\""); \
        first = false;                                              \
    }
    FEATURE(qw->caps.allow_net, "fetch")
    FEATURE(qw->caps.allow_fs, "fs")
    FEATURE(qw->caps.allow_eval, "eval")
#undef FEATURE
    qw__buf_printf(&b, "],\"sandbox\":%s}}", qw->sandbox_json ? qw->sandbox_json : "{}");
    qw__send(qw, &b);
    qw__buf_free(&b);
}

static void settle_load(QWRuntime *qw) {
    JSContext *ctx = qw->ctx;
    JSPromiseStateEnum state = JS_PromiseState(ctx, qw->load_promise);
    JSValue ns, ret, result;

    /* Already answered (the top-level code hit maxCpu) or still running. */
    if (qw->exit_requested || state == JS_PROMISE_PENDING)
        return;
    if (state == JS_PROMISE_REJECTED) {
        QWErrorInfo info;
        result = JS_PromiseResult(ctx, qw->load_promise);
        if (qw__is_oom(ctx, result)) {
            qw__fail_invocation(qw, qw->load_id, "MEMORY_LIMIT", result);
        } else {
            error_info(ctx, result, &info);
            qw__send_error(qw, qw->load_id, "BUNDLE_LOAD_ERROR", info.name, info.message, info.stack);
            error_info_free(&info);
            qw__request_exit(qw, QW_EXIT_OK);
        }
        JS_FreeValue(ctx, result);
        JS_FreeValue(ctx, qw->load_promise);
        qw->load_promise = JS_UNDEFINED;
        return;
    }
    JS_FreeValue(ctx, qw->load_promise);
    qw->load_promise = JS_UNDEFINED;
    ns = JS_GetModuleNamespace(ctx, qw->handler_module);
    if (JS_IsException(ns)) {
        send_exception_as(qw, ctx, qw->load_id, "BUNDLE_LOAD_ERROR");
        qw__request_exit(qw, QW_EXIT_OK);
        return;
    }
    ret = JS_Call(ctx, qw->cb_set_handler, JS_UNDEFINED, 1, (JSValueConst *)&ns);
    JS_FreeValue(ctx, ns);
    if (JS_IsException(ret)) {
        send_exception_as(qw, ctx, qw->load_id, "BUNDLE_LOAD_ERROR");
        qw__request_exit(qw, QW_EXIT_OK);
        return;
    }
    if (JS_IsString(ret)) {
        const char *msg = JS_ToCString(ctx, ret);
        load_failed(qw, msg ? msg : "no handler export");
        JS_FreeCString(ctx, msg);
        JS_FreeValue(ctx, ret);
        return;
    }
    JS_FreeValue(ctx, ret);
    qw->handler_set = true;
    if (!qw->ready) {
        qw->ready = true;
        qw_trace("ready");
        send_ready(qw);
    }
}

static void drop_user_context(QWRuntime *qw);

/*
 * Creates the user context, loads the prelude into it and starts the handler
 * module from its bytecode; the load settles in settle_load, now or after
 * top-level await. Returns -1 after answering the failure to load_id.
 */
static int start_user_context(QWRuntime *qw) {
    JSValue mod;

    /* The prelude is the runtime's, not the handler's: maxMemory applies from
     * the handler's first line on (a renewal runs with the limit in force). */
    qw->heap.suspended = true;
    /* The first context was made and its prelude evaluated by prepare(),
     * before init; a renewal makes its own. Either way it gets the pool's
     * settings here, before any handler code. */
    /* A context prepared before init said the clock is fake has the engine's
     * Date and performance in its prelude: it is made again. */
    if (qw->ctx != NULL && qw->fake_clock) {
        qw__run_jobs(qw, 0);
        drop_user_context(qw);
    }
    if (qw->ctx == NULL) {
        qw->ctx = new_user_context(qw);
        CHECK(qw->ctx != NULL);
        if (load_prelude(qw) != 0) {
            qw->heap.suspended = false;
            qw__request_exit(qw, QW_EXIT_FATAL);
            return -1;
        }
    }
    if (qw->caps.allow_eval)
        CHECK(JS_AddIntrinsicEval(qw->ctx) == 0);
    qw->env = qw->env_json ? JS_ParseJSON(qw->ctx, qw->env_json, qw->env_json_len, "env")
                           : JS_NewObject(qw->ctx);
    CHECK(!JS_IsException(qw->env));
    if (configure_prelude(qw) != 0) {
        qw->heap.suspended = false;
        qw__request_exit(qw, QW_EXIT_FATAL);
        return -1;
    }
    qw_trace("configured");
    qw->heap.suspended = false;
    if (qw->caps.max_memory > 0)
        qw->heap.limit = (size_t)qw->caps.max_memory;

    qw__enter(qw, qw->load_id);
    qw->load_cpu_start_ns = qw__thread_cpu_ns();
    mod = JS_ReadObject(qw->ctx, qw->handler_bc, qw->handler_bc_size, JS_READ_OBJ_BYTECODE);
    if (JS_IsException(mod)) {
        send_exception_as(qw, qw->ctx, qw->load_id, "BUNDLE_LOAD_ERROR");
        qw__request_exit(qw, QW_EXIT_OK);
        return -1;
    }
    qw->handler_module = JS_VALUE_GET_PTR(mod);
    qw->load_promise = JS_EvalFunction(qw->ctx, mod);
    if (JS_IsException(qw->load_promise)) {
        qw->load_promise = JS_UNDEFINED;
        if (qw->exit_requested)
            JS_FreeValue(qw->ctx, JS_GetException(qw->ctx));
        else
            send_exception_as(qw, qw->ctx, qw->load_id, "BUNDLE_LOAD_ERROR");
        qw__request_exit(qw, QW_EXIT_OK);
        return -1;
    }
    /* Ready as soon as possible: drain now instead of waiting for the check. */
    qw__run_jobs(qw, qw->load_id);
    return 0;
}

/*
 * isolation 'invocation': frees the used user context with everything of it
 * the runtime still holds (timers, host calls, unhandled rejections, the
 * prelude's callbacks). Its fs work still on the thread pool and its host
 * calls still at the host are answered into the void (generation,
 * first_live_call). Nothing of it can run again: every entry from the loop
 * drains the job queue, so no job of it is left.
 */
/* What the runtime holds in the user context: host calls, rejections, the
 * prelude's callbacks and objects. Released before the context is dropped
 * (isolation) or freed (teardown). */
static void release_context_values(QWRuntime *qw) {
    JSContext *ctx = qw->ctx;

    qw__fetch_free_all(qw);
    free_rejections(qw);
    JS_FreeValue(ctx, qw->cb_invoke);
    JS_FreeValue(ctx, qw->cb_cancel);
    JS_FreeValue(ctx, qw->cb_set_handler);
    JS_FreeValue(ctx, qw->cb_configure);
    JS_FreeValue(ctx, qw->fs_api);
    JS_FreeValue(ctx, qw->env);
    JS_FreeValue(ctx, qw->load_promise);
    qw->cb_invoke = qw->cb_cancel = qw->cb_set_handler = qw->cb_configure = JS_UNDEFINED;
    qw->fs_api = qw->env = qw->load_promise = JS_UNDEFINED;
}

static void drop_user_context(QWRuntime *qw) {
    JSContext *ctx = qw->ctx;

    CHECK(!JS_IsJobPending(qw->rt));
    qw->generation++;
    qw->first_live_call = qw->next_call;
    qw__timers_close_all(qw);
    release_context_values(qw);
    qw->handler_module = NULL;
    qw->handler_set = false;
    qw->context_used = false;
    JS_FreeContext(ctx);
    qw->ctx = NULL;
    /* The old context's objects hold each other in cycles (prototypes,
     * closures); collect them now, so that maxMemory and the next
     * invocation's figures see only what that invocation allocates. */
    JS_RunGC(qw->rt);
}

#define TLA_REFUSED                                                                                  \
    "The module's top-level code waits (top-level await on a timer, a host call or a file). With "   \
    "isolation 'invocation' the handler is loaded anew for every invocation and must load without " \
    "waiting."

/* A fresh context for invoke `id`; -1 when the handler did not load in it
 * (answered to `id`, and the worker exits: the host replaces it). */
static int renew_context(QWRuntime *qw, int64_t id) {
    int rc;

    drop_user_context(qw);
    qw->load_id = id;
    rc = start_user_context(qw);
    if (rc == 0 && !qw->handler_set && !qw->exit_requested) {
        qw__send_error(qw, id, "BUNDLE_LOAD_ERROR", "Error", TLA_REFUSED, NULL);
        qw__request_exit(qw, QW_EXIT_OK);
    }
    qw->load_id = 0;
    return rc == 0 && qw->handler_set ? 0 : -1;
}

/* The options of init beyond the profile (docs/protocol.md): `isolation`
 * ("worker" or "invocation", absent = "worker"), `randomSeed` (a safe
 * integer or null, absent = real entropy) and `fakeClock` (ms since the
 * epoch, >= 0, or null, absent = the real clock). Returns the bad field or
 * NULL. */
static const char *parse_sandbox_options(QWRuntime *qw, JSContext *ctx, JSValueConst payload) {
    JSValue v = JS_GetPropertyStr(ctx, payload, "isolation");
    const char *bad = NULL;

    if (JS_IsString(v)) {
        const char *s = JS_ToCString(ctx, v);
        if (s && strcmp(s, "invocation") == 0)
            qw->isolate_invocations = true;
        else if (!s || strcmp(s, "worker") != 0)
            bad = "payload.isolation";
        if (s)
            JS_FreeCString(ctx, s);
    } else if (!JS_IsUndefined(v)) {
        bad = "payload.isolation";
    }
    JS_FreeValue(ctx, v);
    if (bad)
        return bad;
    v = JS_GetPropertyStr(ctx, payload, "randomSeed");
    if (JS_IsNumber(v)) {
        double seed;
        if (JS_ToFloat64(ctx, &seed, v) != 0 || !(fabs(seed) <= 9007199254740991.0) ||
            seed != (double)(int64_t)seed)
            bad = "payload.randomSeed";
        else /* as `seed >>> 0` does: modulo 2^32 */
            qw__seed_random(qw, (uint32_t)(int64_t)seed);
    } else if (!JS_IsUndefined(v) && !JS_IsNull(v)) {
        bad = "payload.randomSeed";
    }
    JS_FreeValue(ctx, v);
    if (bad)
        return bad;
    v = JS_GetPropertyStr(ctx, payload, "fakeClock");
    if (JS_IsNumber(v)) {
        double start = -1;
        if (JS_ToFloat64(ctx, &start, v) != 0 || !(start >= 0 && isfinite(start)))
            bad = "payload.fakeClock";
        qw->fake_now_ms = start;
        qw->fake_clock = !bad;
    } else if (!JS_IsUndefined(v) && !JS_IsNull(v)) {
        bad = "payload.fakeClock";
    }
    JS_FreeValue(ctx, v);
    return bad;
}

static void handle_init(QWRuntime *qw, char *line, size_t len) {
    JSContext *cctx = NULL;
    JSValue msg = JS_UNDEFINED, payload = JS_UNDEFINED, v = JS_UNDEFINED;
    const char *bad, *env_json = NULL;
    uint8_t *bc = NULL;
    size_t bc_size = 0, env_len = 0;
    bool os_sandbox = true;
    double d;

    qw->init_done = true;
    qw_trace("init");
    /* The worker's time starts when it gets its pool: a context prepared
     * in the zygote, or in a spare that waited, says nothing of the pool. */
    qw__clock_restart(qw);
    /* Made by prepare(); this function frees it. */
    cctx = qw->cctx;
    qw->cctx = NULL;

    msg = JS_ParseJSON(cctx, line, len, "init");
    qw__release_line(qw);
    if (JS_IsException(msg)) {
        JS_FreeValue(cctx, JS_GetException(cctx));
        bad_settings(qw, "the first line on fd 3 is not JSON%s", NULL);
        goto done;
    }
    v = JS_GetPropertyStr(cctx, msg, "type");
    {
        const char *type = JS_IsString(v) ? JS_ToCString(cctx, v) : NULL;
        bool is_init = type && strcmp(type, "init") == 0;
        if (type)
            JS_FreeCString(cctx, type);
        JS_FreeValue(cctx, v);
        v = JS_UNDEFINED;
        if (!is_init) {
            bad_settings(qw, "the first message must be of type init%s", NULL);
            goto done;
        }
    }
    payload = JS_GetPropertyStr(cctx, msg, "payload");
    if (!JS_IsObject(payload)) {
        bad_settings(qw, "init has no payload object%s", NULL);
        goto done;
    }
    v = JS_GetPropertyStr(cctx, payload, "capabilities");
    bad = parse_caps(qw, cctx, v);
    JS_FreeValue(cctx, v);
    v = JS_UNDEFINED;
    if (bad) {
        bad_settings(qw, "%s is missing or has the wrong type", bad);
        goto done;
    }
    v = JS_GetPropertyStr(cctx, payload, "limits");
    qw->max_log_bytes = QW_DEFAULT_MAX_LOG_BYTES;
    qw->max_body_bytes = QW_DEFAULT_MAX_BODY_BYTES;
    if (JS_IsObject(v)) {
        if (get_number(cctx, v, "maxLogBytes", &d) == 0 && d >= 1)
            qw->max_log_bytes = (size_t)d;
        if (get_number(cctx, v, "maxBodyBytes", &d) == 0)
            qw->max_body_bytes = (size_t)d;
    }
    JS_FreeValue(cctx, v);
    v = JS_UNDEFINED;
    qw->filename = dup_prop_string(cctx, payload, "filename");
    if (!qw->filename)
        qw->filename = strdup("handler.js");
    qw->workdir = dup_prop_string(cctx, payload, "workdir");
    if ((bad = parse_sandbox_options(qw, cctx, payload)) != NULL) {
        bad_settings(qw, "%s has the wrong type or value", bad);
        goto done;
    }

    v = JS_GetPropertyStr(cctx, payload, "env");
    if (!JS_IsUndefined(v) && !JS_IsNull(v)) {
        JSValue s = JS_JSONStringify(cctx, v, JS_UNDEFINED, JS_UNDEFINED);
        if (JS_IsString(s))
            env_json = JS_ToCStringLen(cctx, &env_len, s);
        JS_FreeValue(cctx, s);
        if (!env_json) {
            JS_FreeValue(cctx, JS_GetException(cctx));
            bad_settings(qw, "payload.env must be a JSON object%s", NULL);
            goto done;
        }
    }
    JS_FreeValue(cctx, v);
    v = JS_UNDEFINED;

    /* The OS fence goes up before any of the handler's source is parsed. */
    qw_trace("parsed");
    apply_fd_limit(qw);
    if (get_bool(cctx, payload, "osSandbox", &os_sandbox) != 0)
        os_sandbox = true; /* absent: fence (fail closed) */
    /* A namespace made early is for fenced pools without network only (the
     * host forks such workers for no other pool): anything else is its bug. */
    if (qw->early_fence && (!os_sandbox || qw->caps.allow_net)) {
        bad_settings(qw, "this worker was forked for a fenced pool without network%s", NULL);
        goto done;
    }
    if (os_sandbox && apply_os_fence(qw) != 0) {
        qw__request_exit(qw, QW_EXIT_FENCE_FAILED);
        goto done;
    }

    qw_trace("fenced");
    bc = compile_handler(qw, cctx, payload, &bc_size);
    qw_trace("compiled");
    if (!bc)
        goto done;

    qw->handler_bc = bc;
    qw->handler_bc_size = bc_size;
    bc = NULL;
    if (env_json) {
        qw->env_json = malloc(env_len + 1);
        CHECK(qw->env_json != NULL);
        memcpy(qw->env_json, env_json, env_len + 1);
        qw->env_json_len = env_len;
    }
    /* A renewal must load at once, within the invoke that asked for it; a
     * module that waits (top-level await on a timer, a host call, a file) is
     * refused now rather than at its second invocation. */
    if (start_user_context(qw) == 0 && qw->isolate_invocations && !qw->handler_set && !qw->exit_requested)
        load_failed(qw, TLA_REFUSED);
    /* The module keeps no reference to its bytecode once read. */
    if (!qw->isolate_invocations) {
        js_free_rt(qw->rt, qw->handler_bc);
        qw->handler_bc = NULL;
    }

done:
    if (env_json)
        JS_FreeCString(cctx, env_json);
    if (bc)
        js_free_rt(qw->rt, bc);
    JS_FreeValue(cctx, v);
    JS_FreeValue(cctx, payload);
    JS_FreeValue(cctx, msg);
    JS_FreeContext(cctx);
    /* What init needed and no longer does (its line, its JSON tree, the
     * compiler's work) is freed now; malloc would otherwise keep those pages
     * at the top of the heap, dirty and this worker's own, for as long as it
     * lives (12 to 16 KB for a hello handler). */
    malloc_trim(0);
}

/* ---- messages after init ------------------------------------------------- */

static void *alloc_body(void *opaque, size_t size);
static void *free_body(JSRuntime *rt, void *opaque, void *ptr, size_t size);

/* An invoke's fields, as the prelude's invokeArgs callback takes them:
 * method, url, headers ([name, value][]) and body, a base64 string (or a
 * Uint8Array already, or null). The fast path leaves `body` null and points
 * `b64` at the base64 text in the line instead, decoded here straight into
 * the request's bytes (no string of it, no second copy). */
typedef struct InvokeFields {
    JSValue method, url, headers, body;
    const char *b64;
    size_t b64_len;
    double cpu_ms, timeout_ms;
} InvokeFields;

static void free_fields(JSContext *ctx, InvokeFields *f) {
    JS_FreeValue(ctx, f->method);
    JS_FreeValue(ctx, f->url);
    JS_FreeValue(ctx, f->headers);
    JS_FreeValue(ctx, f->body);
}

/* The request body as a Uint8Array from base64 text, counted against
 * maxMemory; JS_UNDEFINED when the text is not base64, JS_EXCEPTION when
 * the bytes do not fit. */
static JSValue decode_body(QWRuntime *qw, const char *text, size_t len) {
    size_t max = qw__base64_decoded_max(len), out_len = 0;
    uint8_t *buf = js_malloc_rt(qw->rt, max ? max : 1);
    JSValue u8;

    if (!buf)
        return JS_ThrowOutOfMemory(qw->ctx);
    if (qw__base64_decode(text, len, buf, &out_len) != 0) {
        js_free_rt(qw->rt, buf);
        return JS_UNDEFINED;
    }
    if (out_len >= QW_GC_BODY_BYTES)
        qw->gc_wanted = true;
    u8 = JS_NewUint8Array(qw->ctx, buf, out_len, free_body, NULL, false);
    if (JS_IsException(u8))
        js_free_rt(qw->rt, buf);
    return u8;
}

/* Starts invocation `id`; takes the fields' values. */
static void handle_invoke(QWRuntime *qw, int64_t id, InvokeFields *f) {
    JSContext *ctx = qw->ctx;
    QWInvocation *inv;
    JSValue argv[5], ret;

    if (!qw->ready || qw__find_invocation(qw, id)) {
        free_fields(ctx, f);
        qw__send_error(qw, id, "HANDLER_ERROR", "Error",
                       qw->ready ? "duplicate invocation id" : "invoke before ready", NULL);
        return;
    }
    note_invoke_arrival(qw);
    qw->context_used = true;
    inv = calloc(1, sizeof(*inv));
    CHECK(inv != NULL);
    inv->qw = qw;
    inv->id = id;
    CHECK(uv_timer_init(&qw->loop, &inv->timer) == 0);
    inv->timer.data = inv;
    inv->next = qw->invocations;
    qw->invocations = inv;
    /* From here on the CPU time is this invocation's. */
    qw__enter(qw, id);
    inv->cpu_budget_ns = (uint64_t)(f->cpu_ms * 1e6);
    inv->timeout_ms = f->timeout_ms;
    if (f->timeout_ms > 0) {
        uint64_t now = uv_hrtime();
        inv->wall_deadline_ns = now + (uint64_t)(f->timeout_ms * 1e6);
        uv_timer_start(&inv->timer, on_wall_deadline, (uint64_t)f->timeout_ms + 1, 0);
    }

    if (f->b64 || JS_IsString(f->body)) {
        JSValue u8;
        if (f->b64) {
            u8 = decode_body(qw, f->b64, f->b64_len);
        } else {
            /* Decoded outside the heap and the base64 string dropped before
             * the bytes are allocated, so only the decoded body counts
             * against maxMemory. */
            size_t len, out_len = 0;
            const char *s = JS_ToCStringLen(ctx, &len, f->body);
            uint8_t *buf = s ? malloc(qw__base64_decoded_max(len) + 1) : NULL;
            bool bad = !s || !buf || qw__base64_decode(s, len, buf, &out_len) != 0;
            if (s)
                JS_FreeCString(ctx, s);
            JS_FreeValue(ctx, f->body);
            u8 = bad ? JS_UNDEFINED : JS_NewUint8ArrayCopy(ctx, buf, out_len);
            free(buf);
        }
        f->body = JS_NULL;
        if (JS_IsUndefined(u8)) {
            free_fields(ctx, f);
            qw__send_error(qw, id, "HANDLER_ERROR", "TypeError", "the request body is not valid base64",
                           NULL);
            qw__finish_invocation(qw, inv);
            return;
        }
        if (JS_IsException(u8)) {
            free_fields(ctx, f);
            qw__report_exception(qw, id);
            return;
        }
        f->body = u8;
    }

    qw__enter(qw, id);
    argv[0] = JS_NewInt64(ctx, id);
    argv[1] = f->method;
    argv[2] = f->url;
    argv[3] = f->headers;
    argv[4] = f->body;
    ret = JS_Call(ctx, qw->cb_invoke, JS_UNDEFINED, 5, (JSValueConst *)argv);
    free_fields(ctx, f);
    qw__check_after_call(qw, ret, id);
}

/* The handler's AbortSignal fires; the invocation stays open and still
 * answers (the host ignores the answer but frees the slot on it). */
static void handle_cancel(QWRuntime *qw, int64_t id) {
    JSValue argv[1], ret;

    if (!qw__find_invocation(qw, id))
        return;
    qw__enter(qw, id);
    argv[0] = JS_NewInt64(qw->ctx, id);
    ret = JS_Call(qw->ctx, qw->cb_cancel, JS_UNDEFINED, 1, (JSValueConst *)argv);
    qw__check_after_call(qw, ret, id);
}

static void *alloc_body(void *opaque, size_t size) {
    return js_malloc_rt(((QWRuntime *)opaque)->rt, size);
}

static void *free_body(JSRuntime *rt, void *opaque, void *ptr, size_t size) {
    if (size == 0) {
        js_free_rt(rt, ptr);
        return NULL;
    }
    return js_realloc_rt(rt, ptr, size);
}

/* Where a message carries a large base64 body: invoke and host-call results. */
static const char *const invoke_body_path[] = {"payload", "body"};
static const char *const result_body_path[] = {"payload", "value", "body"};

/* Puts the body taken out of the line back, as a Uint8Array, into the parsed
 * message (the buffer becomes the array's, counted against maxMemory). */
static int put_body(QWRuntime *qw, JSValueConst msg, bool is_result, uint8_t *buf, size_t len) {
    JSContext *ctx = qw->ctx;
    JSValue holder = JS_GetPropertyStr(ctx, msg, "payload"), u8;
    int rc = -1;

    if (is_result) {
        JSValue value = JS_GetPropertyStr(ctx, holder, "value");
        JS_FreeValue(ctx, holder);
        holder = value;
    }
    if (!JS_IsObject(holder)) {
        js_free_rt(qw->rt, buf);
        goto done;
    }
    if (len >= QW_GC_BODY_BYTES)
        qw->gc_wanted = true;
    u8 = JS_NewUint8Array(ctx, buf, len, free_body, NULL, false);
    if (JS_IsException(u8)) {
        js_free_rt(qw->rt, buf);
        goto done;
    }
    rc = JS_SetPropertyStr(ctx, holder, "body", u8) < 0 ? -1 : 0;
done:
    JS_FreeValue(ctx, holder);
    return rc;
}

/* Parses one line from the host in the user context; JS_EXCEPTION (taken
 * care of) when it is not JSON or does not fit in memory. */
static JSValue parse_message(QWRuntime *qw, const char *line, size_t len) {
    JSContext *ctx = qw->ctx;
    JSValue msg, exc;

    /* The host's message is not the handler's allocation: parse it outside
     * maxMemory (a body near maxBodyBytes arrives as a base64 string a third
     * larger). What the handler gets from it, the decoded body, does count. */
    qw->heap.suspended = true;
    msg = JS_ParseJSON(ctx, line, len, "ipc");
    qw->heap.suspended = false;
    if (!JS_IsException(msg))
        return msg;
    exc = JS_GetException(ctx);
    if (qw__is_oom(ctx, exc))
        qw__request_exit(qw, QW_EXIT_MEMORY);
    else
        fprintf(stderr, "bunbase-worker: ignoring a malformed message from the host\n");
    JS_FreeValue(ctx, exc);
    return JS_EXCEPTION;
}

/* The fields of an invoke line read by qw__read_invoke_line, as
 * JS_ParseJSON would have made them (the body left as its span in the line);
 * -1 (taken care of) when they do not fit in memory. Like parse_message,
 * outside maxMemory. */
static int invoke_line_fields(QWRuntime *qw, const QWInvokeLine *in, InvokeFields *f) {
    JSContext *ctx = qw->ctx;
    size_t i;
    bool ok;

    qw->heap.suspended = true;
    f->method = JS_NewStringLen(ctx, in->method, in->method_len);
    f->url = JS_NewStringLen(ctx, in->url, in->url_len);
    /* No headers: null, which the prelude takes for an empty list. */
    f->headers = in->header_count ? JS_NewArray(ctx) : JS_NULL;
    f->body = JS_NULL;
    f->b64 = in->body;
    f->b64_len = in->body_len;
    f->cpu_ms = in->cpu_ms;
    f->timeout_ms = in->timeout_ms;
    ok = !JS_IsException(f->method) && !JS_IsException(f->url) && !JS_IsException(f->headers);
    for (i = 0; ok && i < in->header_count; i++) {
        const QWHeaderSpan *h = &in->headers[i];
        JSValue pair = JS_NewArray(ctx);
        /* Each call below takes its value, on failure too. */
        ok = !JS_IsException(pair) &&
             JS_SetPropertyUint32(ctx, pair, 0, JS_NewStringLen(ctx, h->name, h->name_len)) >= 0 &&
             JS_SetPropertyUint32(ctx, pair, 1, JS_NewStringLen(ctx, h->value, h->value_len)) >= 0;
        if (ok)
            ok = JS_SetPropertyUint32(ctx, f->headers, (uint32_t)i, pair) >= 0;
        else
            JS_FreeValue(ctx, pair);
    }
    qw->heap.suspended = false;
    if (ok)
        return 0;
    free_fields(ctx, f);
    {
        JSValue exc = JS_GetException(ctx);
        if (qw__is_oom(ctx, exc))
            qw__request_exit(qw, QW_EXIT_MEMORY);
        JS_FreeValue(ctx, exc);
    }
    return -1;
}

/* The fields of a parsed invoke message's payload (missing ones undefined,
 * limits 0 when absent or invalid). */
static void payload_fields(QWRuntime *qw, JSValueConst payload, InvokeFields *f) {
    JSContext *ctx = qw->ctx;

    f->method = JS_GetPropertyStr(ctx, payload, "method");
    f->url = JS_GetPropertyStr(ctx, payload, "url");
    f->headers = JS_GetPropertyStr(ctx, payload, "headers");
    f->body = JS_GetPropertyStr(ctx, payload, "body");
    /* A base64 body is held by the fields alone, so that it is freed as soon
     * as it is decoded (only the decoded body counts against maxMemory). */
    if (JS_IsString(f->body))
        JS_SetPropertyStr(ctx, payload, "body", JS_NULL);
    f->b64 = NULL;
    f->b64_len = 0;
    f->cpu_ms = f->timeout_ms = 0;
    get_number(ctx, payload, "cpuMs", &f->cpu_ms);
    get_number(ctx, payload, "timeoutMs", &f->timeout_ms);
}

/* Whether `msg` is an invoke; its id in *id. */
static bool is_invoke(QWRuntime *qw, JSValueConst msg, int64_t *id) {
    JSContext *ctx = qw->ctx;
    JSValue v;
    const char *type;
    bool yes;

    if (!JS_IsObject(msg))
        return false;
    v = JS_GetPropertyStr(ctx, msg, "type");
    type = JS_IsString(v) ? JS_ToCString(ctx, v) : NULL;
    yes = type && strcmp(type, "invoke") == 0;
    if (type)
        JS_FreeCString(ctx, type);
    JS_FreeValue(ctx, v);
    v = JS_GetPropertyStr(ctx, msg, "id");
    if (!JS_IsNumber(v) || JS_ToInt64(ctx, id, v) != 0)
        *id = 0;
    JS_FreeValue(ctx, v);
    return yes;
}

void qw__on_message(QWRuntime *qw, char *line, size_t len) {
    JSContext *ctx;
    JSValue msg, v, payload;
    const char *type;
    int64_t id = 0;
    uint8_t *body = NULL;
    size_t body_len = 0;
    bool is_result = false;
    int took = 0;

    if (!qw->init_done) {
        handle_init(qw, line, len);
        return;
    }
    if (!qw->ctx)
        return;
    ctx = qw->ctx;
    if (len < QW_TAKE_BODY_MIN && !qw->isolate_invocations) {
        /* The common case, an invoke with a small body, without a JSON tree. */
        QWInvokeLine il;
        if (qw__read_invoke_line(line, len, &il)) {
            InvokeFields f;
            if (invoke_line_fields(qw, &il, &f) == 0)
                handle_invoke(qw, il.id, &f);
            return;
        }
    }
    if (len >= QW_TAKE_BODY_MIN) {
        /* The host's encoder writes id and type first; anything else just
         * takes the ordinary path below. */
        is_result = memmem(line, len < 64 ? len : 64, "\"type\":\"result\"", 15) != NULL;
        took = qw__take_body(line, len, is_result ? result_body_path : invoke_body_path, is_result ? 3 : 2,
                             &body, &body_len, alloc_body, qw);
        if (took < 0) {
            qw__request_exit(qw, QW_EXIT_MEMORY);
            return;
        }
        if (took > 0 && body_len == (size_t)-1) {
            js_free_rt(qw->rt, body);
            took = 0;
        }
    }
    msg = parse_message(qw, line, len);
    if (!JS_IsException(msg) && qw->isolate_invocations && qw->context_used && !qw->invocations &&
        !qw->exit_requested && is_invoke(qw, msg, &id)) {
        /* The message is parsed again in the new context: nothing the handler
         * is given may come from the old one's realm (its prototypes). */
        JS_FreeValue(ctx, msg);
        msg = renew_context(qw, id) == 0 ? parse_message(qw, line, len) : JS_EXCEPTION;
        ctx = qw->ctx;
        id = 0;
    }
    if (JS_IsException(msg)) {
        if (took > 0)
            js_free_rt(qw->rt, body);
        qw__release_line(qw);
        return;
    }
    if (took > 0 && put_body(qw, msg, is_result, body, body_len) < 0)
        JS_FreeValue(ctx, JS_GetException(ctx));
    qw__release_line(qw);
    v = JS_GetPropertyStr(ctx, msg, "id");
    if (JS_IsNumber(v))
        JS_ToInt64(ctx, &id, v);
    JS_FreeValue(ctx, v);
    v = JS_GetPropertyStr(ctx, msg, "type");
    type = JS_IsString(v) ? JS_ToCString(ctx, v) : NULL;
    JS_FreeValue(ctx, v);
    payload = JS_GetPropertyStr(ctx, msg, "payload");
    if (!type) {
        fprintf(stderr, "bunbase-worker: ignoring a message without a type\n");
    } else if (strcmp(type, "invoke") == 0 && JS_IsObject(payload)) {
        InvokeFields f;
        payload_fields(qw, payload, &f);
        handle_invoke(qw, id, &f);
    } else if (strcmp(type, "result") == 0 && JS_IsObject(payload)) {
        qw__enter(qw, id);
        qw__fetch_on_result(qw, id, payload);
    } else if (strcmp(type, "cancel") == 0) {
        handle_cancel(qw, id);
    } else if (strcmp(type, "advanceTime") == 0 && JS_IsObject(payload)) {
        double ms = 0;
        get_number(ctx, payload, "ms", &ms);
        qw__timers_advance(qw, ms);
        if (!qw->exit_requested) {
            QWBuf b = {0};
            qw__buf_puts(&b, "{\"id\":0,\"type\":\"advanced\",\"payload\":{}}");
            qw__send(qw, &b);
            qw__buf_free(&b);
        }
    } else if (strcmp(type, "shutdown") == 0) {
        qw->shutting_down = true;
        uv_read_stop((uv_stream_t *)&qw->ipc);
        if (!qw->invocations)
            qw__request_exit(qw, QW_EXIT_OK);
    } else {
        fprintf(stderr, "bunbase-worker: ignoring a message of type %s\n", type);
    }
    if (type)
        JS_FreeCString(ctx, type);
    JS_FreeValue(ctx, payload);
    JS_FreeValue(ctx, msg);
}

void qw__on_eof(QWRuntime *qw) {
    qw__request_exit(qw, QW_EXIT_OK);
}

/* ---- lifecycle ------------------------------------------------------------ */

static void on_walk_close(uv_handle_t *handle, void *arg) {
    QWRuntime *qw = arg;

    if (handle == (uv_handle_t *)&qw->ipc || uv_is_closing(handle))
        return;
    /* Timers and invocations are closed by their owners; anything else
     * left here is a bug. */
    fprintf(stderr, "bunbase-worker: closing a stray handle of type %s\n", uv_handle_type_name(handle->type));
    uv_close(handle, NULL);
}

static void run_until_settled(QWRuntime *qw) {
    while (uv_run(&qw->loop, UV_RUN_DEFAULT) != 0) {
    }
}

/*
 * Teardown, in this order: stop input, close our handles (timers and
 * invocation timers free their JS values in their close callbacks), run the
 * loop so queued writes reach the host and close callbacks run, close fd 3,
 * free the JS values we own, free the context and the runtime, close the loop.
 * After MEMORY_LIMIT the JS heap is not trusted and is not freed.
 */
static void teardown(QWRuntime *qw, bool free_js) {
    int r;

    if (!uv_is_closing((uv_handle_t *)&qw->ipc))
        uv_read_stop((uv_stream_t *)&qw->ipc);
    uv_close((uv_handle_t *)&qw->check, NULL);
    uv_close((uv_handle_t *)&qw->idle, NULL);
    qw__timers_close_all(qw);
    while (qw->invocations)
        qw__finish_invocation(qw, qw->invocations);
    qw->exit_requested = true;
    run_until_settled(qw);
    uv_walk(&qw->loop, on_walk_close, qw);
    if (!uv_is_closing((uv_handle_t *)&qw->ipc))
        uv_close((uv_handle_t *)&qw->ipc, NULL);
    run_until_settled(qw);

    if (qw->ctx)
        qw__body_out_free(qw);
    if (free_js && qw->ctx) {
        JSContext *ctx = qw->ctx;
        release_context_values(qw);
        JS_FreeContext(ctx);
        qw->ctx = NULL;
    }
    if (free_js && qw->cctx) {
        JS_FreeContext(qw->cctx);
        qw->cctx = NULL;
    }
    if (free_js) {
        if (qw->handler_bc)
            js_free_rt(qw->rt, qw->handler_bc);
        JS_FreeRuntime(qw->rt);
        qw->rt = NULL;
    }
    r = uv_loop_close(&qw->loop);
#ifdef QW_DEBUG
    if (r != 0)
        uv_print_all_handles(&qw->loop, stderr);
    CHECK(r == 0);
#else
    (void)r;
#endif
    free_caps(&qw->caps);
    free(qw->env_json);
    free(qw->filename);
    free(qw->workdir);
    free(qw->sandbox_json);
    free(qw->rbuf);
    qw__buf_free(&qw->out_pending);
    qw__buf_free(&qw->out_inflight);
}

/* The engine's stack limit: QW_MAX_STACK_BYTES, or less when RLIMIT_STACK
 * would end the process's stack first (a SIGSEGV instead of a RangeError). */
static size_t engine_stack_bytes(void) {
    struct rlimit rl;

    if (getrlimit(RLIMIT_STACK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return QW_MAX_STACK_BYTES;
    if (rl.rlim_cur <= 2 * QW_STACK_RESERVE_BYTES)
        return (size_t)rl.rlim_cur / 2;
    if (rl.rlim_cur - QW_STACK_RESERVE_BYTES < QW_MAX_STACK_BYTES)
        return (size_t)(rl.rlim_cur - QW_STACK_RESERVE_BYTES);
    return QW_MAX_STACK_BYTES;
}


/* The runtime without its loop: what a zygote can make once for every
 * worker it forks (nothing in it is tied to a process or a descriptor). */
static QWRuntime *new_runtime(void) {
    QWRuntime *qw = calloc(1, sizeof(*qw));

    CHECK(qw != NULL);
    /* Large buffers (bodies, their base64 forms) go straight to mmap and back
     * to the kernel when freed; glibc's sliding threshold would otherwise
     * keep them in the heap and the worker's RSS high after one big request. */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
    qw->cb_invoke = qw->cb_cancel = qw->cb_set_handler = qw->cb_configure = JS_UNDEFINED;
    qw->fs_api = qw->env = qw->load_promise = JS_UNDEFINED;
    qw->body_out.array = JS_UNDEFINED;
    qw->next_call = 1;
    qw->next_timer_id = 1;
    qw->turn = 1; /* answer_turn and rusage_turn 0: none read yet */
    qw__reseed(qw);

    qw->rt = JS_NewRuntime2(&qw__heap_functions, &qw->heap);
    CHECK(qw->rt != NULL);
    JS_SetRuntimeOpaque(qw->rt, qw);
    JS_SetMaxStackSize(qw->rt, engine_stack_bytes());
    JS_SetModuleLoaderFunc(qw->rt, module_normalize, module_loader, qw);
    JS_SetHostPromiseRejectionTracker(qw->rt, on_rejection, qw);
    JS_SetInterruptHandler(qw->rt, on_interrupt, qw);
    JS_SetCanBlock(qw->rt, false);
    return qw;
}

QWRuntime *QW_Prepare(void) {
    QWRuntime *qw = new_runtime();

    /* A failure is our own code's (a broken build), never a handler's. */
    if (prepare(qw) != 0)
        return NULL;
    /* The garbage of evaluating the prelude goes now, once, rather than in
     * every worker, where collecting it would write to (and so copy) the
     * pages the workers otherwise share with the zygote. */
    JS_RunGC(qw->rt);
    malloc_trim(0);
    return qw;
}

/* A message of init's shape (keys, nesting, value types), as the host writes it
 * (lib/workers/process-transport.ts): if the two drift apart, only the
 * rehearsal's benefit shrinks. */
static const char INIT_SHAPED[] =
    "{\"id\":0,\"type\":\"init\",\"payload\":{\"protocol\":1,\"source\":\"export default {}\",\"filename\":\"handler.js\","
    "\"env\":{},\"capabilities\":{\"projectId\":\"p\",\"allowFilesystem\":false,\"allowedPaths\":[],\"readOnlyPaths\":[],"
    "\"allowNetwork\":false,\"allowedDomains\":[],\"allowChildProcess\":false,\"allowEval\":false,\"maxMemory\":1,"
    "\"maxCpu\":1,\"maxFileDescriptors\":1},\"limits\":{\"maxBodyBytes\":1,\"maxLogBytes\":1},\"osSandbox\":true,"
    "\"workdir\":\"/\",\"isolation\":\"worker\",\"randomSeed\":null,\"fakeClock\":null}}";

/*
 * A forked worker's first parse writes to pages it shares with the zygote
 * (reference counts of the atoms for init's keys, the parser's state), and
 * each first write is a copy-on-write fault: about 45 of them. Where faults
 * are dear (about 15 us each in the virtual machines we measured) that was
 * 1 ms of a cold start. A forked worker parses a message of init's shape
 * while it waits for its pool, so the real init finds those pages its own.
 * They would be copied at init anyway: it costs no memory a worker keeps.
 */
static void rehearse_init_parse(QWRuntime *qw) {
    JSValue v = JS_ParseJSON(qw->cctx, INIT_SHAPED, sizeof(INIT_SHAPED) - 1, "init");

    if (JS_IsException(v))
        JS_FreeValue(qw->cctx, JS_GetException(qw->cctx));
    JS_FreeValue(qw->cctx, v);
}

static const char HANDLER_SHAPED[] = "export default { async fetch(request) { return new Response('ok', { status: 200 }); } };";

/* The same for compiling a handler (compile_handler): the compiler's pages. */
static void rehearse_compile(QWRuntime *qw) {
    size_t size;
    uint8_t *bc;
    JSValue mod = JS_Eval(qw->cctx, HANDLER_SHAPED, sizeof(HANDLER_SHAPED) - 1, "rehearsal.js",
                          JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY);

    if (JS_IsException(mod)) {
        JS_FreeValue(qw->cctx, JS_GetException(qw->cctx));
        return;
    }
    bc = JS_WriteObject(qw->cctx, &size, mod, JS_WRITE_OBJ_BYTECODE);
    JS_FreeValue(qw->cctx, mod);
    if (bc)
        js_free_rt(qw->rt, bc);
}

int QW_Run(QWRuntime *prepared, const struct QWSandboxReport *early_fence) {
    QWRuntime *qw = prepared ? prepared : new_runtime();
    bool fenced;
    int code, r;

    qw_trace("started");
    /* The host may vanish at any time; a write to a closed socket must fail,
     * not kill the process. */
    signal(SIGPIPE, SIG_IGN);
    CHECK(uv_loop_init(&qw->loop) == 0);
    qw->loop.data = qw;
    qw->early_fence = early_fence;
    if (prepared) {
        /* A copy of the zygote's runtime: what must differ between its
         * workers is made anew here, before anything else runs. */
        JS_UpdateStackTop(qw->rt);
        qw__reseed(qw);
        rehearse_init_parse(qw);
        rehearse_compile(qw);
    }

    CHECK(uv_check_init(&qw->loop, &qw->check) == 0);
    qw->check.data = qw;
    CHECK(uv_check_start(&qw->check, on_check) == 0);
    CHECK(uv_idle_init(&qw->loop, &qw->idle) == 0);
    qw->idle.data = qw;

    r = qw__ipc_start(qw);
    if (r < 0) {
        fprintf(stderr,
                "bunbase-worker: fd 3 is not a usable socket (%s). The worker is started by the host "
                "with fd 3 = the protocol channel.\n",
                uv_strerror(r));
        qw__request_exit(qw, QW_EXIT_BAD_SETTINGS);
    } else if (!prepared && prepare(qw) != 0) {
        qw__request_exit(qw, QW_EXIT_FATAL);
    } else {
        uv_run(&qw->loop, UV_RUN_DEFAULT);
    }
    code = qw->exit_code;
    fenced = qw->fenced;
    teardown(qw, code != QW_EXIT_MEMORY);
    free(qw);
    if (code == QW_EXIT_MEMORY)
        _exit(code);
#ifdef QW_DEBUG
    /* LeakSanitizer stops the world with ptrace from a cloned task, both of
     * which the seccomp layer refuses; its exit-time check would only report
     * that. Fenced sanitizer runs still get ASan, UBSan and the engine's own
     * leak assertion in JS_FreeRuntime; leaks are checked in unfenced runs. */
    if (fenced)
        _exit(code);
#else
    (void)fenced;
#endif
    return code;
}

/*
 * The one runtime struct of the worker and the functions its files share.
 *
 * Ownership: every JSValue stored in a struct below is owned by that struct
 * (it holds one reference) and is freed by the code that unlinks the entry.
 * Every libuv handle embedded in a struct is closed with uv_close and the
 * struct is freed in the close callback, never before.
 */
#ifndef QW_PRIVATE_H
#define QW_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <uv.h>

#include "quickjs.h"

#define QW_PROTOCOL_VERSION 1
#define QW_IPC_FD 3

/* Exit codes (docs/protocol.md): 42 is reserved for an unusable init. */
#define QW_EXIT_OK 0
#define QW_EXIT_FATAL 1
#define QW_EXIT_MEMORY 3
#define QW_EXIT_BAD_SETTINGS 42
#define QW_EXIT_FENCE_FAILED 43

#define QW_DEFAULT_MAX_LOG_BYTES (1024 * 1024)
#define QW_DEFAULT_MAX_BODY_BYTES (32 * 1024 * 1024)
/* Messages at least this long have their body decoded outside the JSON parser. */
#define QW_TAKE_BODY_MIN (16 * 1024)
/* Response bodies this large are base64-encoded as they are written. */
#define QW_STREAM_BODY_MIN (1024 * 1024)
/* Bodies this large make the worker run the cycle collector once idle. */
#define QW_GC_BODY_BYTES (1024 * 1024)
/* Most bytes of a thrown value's name, message or stack the worker sends
 * (lib/thrown-value.ts MAX_ERROR_TEXT, in characters there). */
#define QW_MAX_ERROR_TEXT 65536
/* The engine's stack for handler code: 8 MB, less where RLIMIT_STACK leaves
 * less room (runtime.c engine_stack_bytes; Linux's usual 8 MB limit gives
 * 7.5 MB). A one-line recursive function got about 1,600 frames deep with
 * the 1 MB this was, 6,500 with 4 MB, where Node goes to about 11,000. */
#define QW_MAX_STACK_BYTES (8 * 1024 * 1024)
/* What the process's own stack keeps beyond the engine's limit: the C code
 * around the engine, libuv, the interrupt and signal handlers. */
#define QW_STACK_RESERVE_BYTES (512 * 1024)
/* RLIMIT_AS beyond maxMemory: the binary, thread-pool stacks, malloc slack. */
#define QW_AS_HEADROOM ((uint64_t)256 << 20)
#ifndef QW_SPIN_NS
#define QW_SPIN_NS (200 * 1000)
#endif

#define CHECK(expr)                                                                  \
    do {                                                                             \
        if (!(expr)) {                                                               \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #expr); \
            abort();                                                                 \
        }                                                                            \
    } while (0)

#define QW_COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

typedef struct QWRuntime QWRuntime;

/* A growable byte buffer; data is malloc'ed and owned by the buffer. */
typedef struct QWBuf {
    char *data;
    size_t len;
    size_t cap;
} QWBuf;

/* The capability profile from init.payload.capabilities. Strings are owned. */
typedef struct QWCaps {
    char *project_id;
    bool allow_fs;
    bool allow_net;
    bool allow_child;
    bool allow_eval;
    char **allowed_paths; /* realpath'ed where they exist */
    size_t n_allowed_paths;
    char **read_only_paths;
    size_t n_read_only_paths;
    double max_memory;
    double max_cpu_ms;
    double max_fds;
} QWCaps;

/* One invocation between `invoke` and its answer (or cancel). The timer is
 * always initialised; the struct is freed in its close callback. */
typedef struct QWInvocation {
    struct QWInvocation *next;
    QWRuntime *qw;
    int64_t id;
    uint64_t cpu_used_ns;      /* closed CPU slices charged to it (see runtime.c) */
    uint64_t cpu_budget_ns;    /* 0 = none */
    uint64_t wall_deadline_ns; /* uv_hrtime() based, 0 = none */
    double timeout_ms;
    size_t log_bytes;          /* log text sent for it (see qw__send_log) */
    uv_timer_t timer;
} QWInvocation;

/* A host call (`call` message) waiting for its `result`. */
typedef struct QWCall {
    struct QWCall *next;
    uint32_t call;
    int64_t id;
    JSValue resolve;
    JSValue reject;
} QWCall;

/* A rejection nobody handled yet; reported after the job queue drained. */
typedef struct QWRejection {
    struct QWRejection *next;
    int64_t id;
    JSValue promise;
    JSValue reason;
} QWRejection;

typedef struct QWTimer QWTimer;

/* The engine's allocator state (util_heap.c): maxMemory enforced where every
 * block passes, so that a refusal is known even when the engine throws null. */
typedef struct QWHeap {
    size_t used;    /* usable bytes malloc gave the engine */
    size_t limit;   /* 0: none */
    bool suspended; /* parsing the host's own message: not the handler's memory */
    bool refused;   /* the limit refused an allocation (sticky: the heap is not trusted after) */
} QWHeap;

extern const JSMallocFunctions qw__heap_functions;

/* A response body being base64-encoded onto fd 3 a chunk at a time. While
 * active, other lines wait in `after`. The array reference is owned. */
typedef struct QWBodyOut {
    bool active;
    JSValue array;
    size_t off;
    QWBuf tail;
    QWBuf after;
} QWBodyOut;

struct QWRuntime {
    uv_loop_t loop;
    uv_pipe_t ipc;    /* fd 3, the protocol channel */
    uv_check_t check; /* drains the job queue after each loop turn */
    uv_idle_t idle;   /* active only while jobs are pending or while spinning after an answer */

    JSRuntime *rt;
    JSContext *ctx;
    QWHeap heap;

    /* Input framing. */
    char *rbuf;
    size_t rlen;
    size_t rcap;
    size_t rstart; /* where the next line starts */
    size_t rscan;  /* where to look for its newline */

    /* Output: one uv_write in flight at a time, the rest accumulates. */
    QWBuf out_pending;
    QWBuf out_inflight;
    uv_write_t write_req;
    bool writing;
    /* Lines are collected, not written, until the host's lines of one read
     * are handled: answers that one read causes leave in one write. */
    bool holding_output;
    QWBodyOut body_out;

    /* Settings from init. */
    QWCaps caps;
    size_t max_log_bytes;
    size_t max_body_bytes;
    char *filename;
    /* A private, empty working directory the host made for this worker (init's
     * `workdir`); the fence chdirs there and grants it read-write. Owned. */
    char *workdir;
    char *sandbox_json; /* the OS fence report for `ready` (malloc), NULL = {} */
    bool fenced;        /* qw_sandbox_apply ran */
    /* A forked worker's early network namespace (zygote.c), NULL if none.
     * Borrowed from the zygote child's stack, which outlives QW_Run. */
    const struct QWSandboxReport *early_fence;
    uint64_t fd_limit;  /* RLIMIT_NOFILE chosen from maxFileDescriptors, 0 = none */

    /* Values handed over by the prelude (owned). */
    JSValue cb_invoke;
    JSValue cb_cancel;
    JSValue cb_set_handler;
    JSValue cb_configure; /* called once, from init, before the handler loads */
    JSValue fs_api;
    JSValue env;

    /* The context the handler is compiled in (it has the compiler; the user
     * context does not). Made before init, freed once the handler is compiled. */
    JSContext *cctx;

    /* Module loading state between init and ready. */
    JSValue load_promise; /* JS_UNDEFINED once settled */
    JSModuleDef *handler_module;
    uint64_t load_cpu_start_ns; /* top-level code gets maxCpu too */
    bool ready;

    QWInvocation *invocations; /* most recent first */
    QWCall *calls;
    uint32_t next_call;
    QWTimer *timers;
    int64_t next_timer_id;
    /* The live timers by id (mod_timers.c), so clearTimeout finds one of
     * many without walking the list; `timer_buckets` has mask + 1 entries. */
    QWTimer **timer_buckets;
    uint32_t timer_bucket_mask;
    uint32_t timer_count;
    /* True while a timer's callback (and its jobs) runs: a timer it sets for
     * less than 1 ms waits 1 ms (see add_timer in mod_timers.c). */
    bool in_timer;
    QWRejection *rejections;

    /* The invocation that the code now running belongs to (0 = none). */
    int64_t current_id;
    int64_t slice_id;        /* whose CPU slice is open */
    uint64_t slice_start_ns; /* thread CPU time it opened at, 0 = none */
    uint64_t slice_wall_ns;  /* uv_hrtime() just before slice_start_ns was read */
    /* The loop's turn (counted in on_check), and the last readings of the
     * thread's CPU clock and of getrusage in it: each is a system call, and
     * a batch of invocations answered in one turn shares them (see
     * qw__answer_figures). */
    uint64_t turn;
    uint64_t answer_turn;     /* the turn answer_cpu_ns was read in; 0 = none */
    uint64_t answer_cpu_ns;   /* thread CPU time read for the last answer */
    uint64_t answer_wall_ns;  /* uv_hrtime() just before it */
    uint64_t rusage_turn;     /* the turn peak_rss_bytes was read in; 0 = none */
    int64_t peak_rss_bytes;

    /* Interrupt state: after a limit fired, every JS frame is interrupted
     * until the current entry from the loop (and its job drain) is over. */
    const char *interrupt_code;
    uint64_t entry_cpu_ns; /* thread CPU time at the first interrupt tick after entering JS */

    bool init_done;
    bool shutting_down;
    bool exit_requested;
    int exit_code;
    int pending_fs;         /* fs work items on libuv's thread pool */
    uint64_t spin_until_ns; /* see qw__spin_after_answer */
    uint64_t last_answer_ns;
    bool gc_wanted;   /* a large body went through: collect cycles once idle */
    bool traffic_hot; /* invocations arrive back to back: spin after answers */

    /* isolation 'invocation' (init's `isolation`): an invoke that finds the
     * user context used and no invocation in flight gets a new context, the
     * prelude and the handler loaded anew (runtime.c, renew_context). */
    bool isolate_invocations;
    bool context_used; /* an invocation ran in the current user context */
    bool handler_set;  /* the current user context's handler has loaded */
    /* Bumped when the user context is replaced: async work of an older one is dropped. */
    uint32_t generation;
    uint32_t first_live_call; /* host calls below this number belonged to a dropped context */
    int64_t load_id;          /* whom a failed load is reported to: 0 at init, the invoke that renews */
    uint8_t *handler_bc;      /* the compiled handler, kept for renewals (js_malloc_rt), NULL otherwise */
    size_t handler_bc_size;
    char *env_json; /* init's env as JSON, parsed into every user context (malloc) */
    size_t env_json_len;

    /* randomSeed (the unit-test sandbox): crypto.getRandomValues, randomUUID
     * and Math.random draw from this sfc32 state instead of the kernel. */
    bool seeded;
    uint32_t rng[4];
    /* Math.random's state otherwise: the process's own (qw__reseed), never
     * the context's, which a forked worker shares with its zygote. */
    uint64_t math_rng;

    /* performance.now() counts from perf_origin_ns (uv_hrtime), and
     * performance.timeOrigin is the wall-clock time then (ms since the epoch):
     * set when a user context is made and again when init arrives
     * (mod_clock.c, qw__clock_restart). */
    uint64_t perf_origin_ns;
    double time_origin_ms;

    /* fakeClock (the unit-test sandbox): the time Date and performance.now
     * give, ms since the epoch, moved only by `advanceTime` (mod_clock.c). */
    bool fake_clock;
    double fake_now_ms;
    uint64_t next_timer_seq;
};

/* runtime.c */
struct QWSandboxReport;
/* The worker. `early_fence`: the report of layers a forked worker applied
 * before it knew its pool (zygote.c), NULL for none; it must outlive the call.
 * Takes `prepared` over (frees it). */
int QW_Run(QWRuntime *prepared, const struct QWSandboxReport *early_fence);
/* The engine, its contexts and the prelude, made once in the fork server
 * (zygote) so that its workers share those pages: only our own code runs.
 * NULL (the reason on stderr) if the prelude fails. `prepared` above is such
 * a runtime in a forked child, or NULL to make one. */
QWRuntime *QW_Prepare(void);
QWRuntime *qw__get(JSContext *ctx);
void qw__request_exit(QWRuntime *qw, int code);
void qw__on_message(QWRuntime *qw, char *line, size_t len);
void qw__on_eof(QWRuntime *qw);
int64_t qw__active_id(QWRuntime *qw);
QWInvocation *qw__find_invocation(QWRuntime *qw, int64_t id);
void qw__finish_invocation(QWRuntime *qw, QWInvocation *inv);
void qw__report_exception(QWRuntime *qw, int64_t id);
void qw__check_after_call(QWRuntime *qw, JSValue ret, int64_t id);
void qw__run_jobs(QWRuntime *qw, int64_t id);
void qw__enter(QWRuntime *qw, int64_t id);
uint64_t qw__invocation_cpu_ns(QWRuntime *qw, QWInvocation *inv, uint64_t now);
/* An answer's figures: the invocation's CPU time (ns) and the process's peak RSS (bytes). */
void qw__answer_figures(QWRuntime *qw, QWInvocation *inv, uint64_t *cpu_ns, int64_t *peak_rss_bytes);
void qw__spin_after_answer(QWRuntime *qw);
bool qw__is_oom(JSContext *ctx, JSValueConst err);
uint64_t qw__thread_cpu_ns(void);
void qw__fail_invocation(QWRuntime *qw, int64_t id, const char *code, JSValueConst err);

/* protocol.c */
int qw__buf_reserve(QWBuf *b, size_t extra);
void qw__buf_append(QWBuf *b, const void *data, size_t len);
void qw__buf_puts(QWBuf *b, const char *s);
void qw__buf_printf(QWBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An invoke line read without a JSON tree (invoke_line.c); spans point into the line. */
#define QW_INVOKE_LINE_HEADERS 64
typedef struct QWHeaderSpan {
    const char *name, *value;
    size_t name_len, value_len;
} QWHeaderSpan;
typedef struct QWInvokeLine {
    int64_t id;
    const char *method, *url, *body; /* body NULL: null */
    size_t method_len, url_len, body_len;
    QWHeaderSpan headers[QW_INVOKE_LINE_HEADERS];
    size_t header_count;
    double cpu_ms, timeout_ms;
} QWInvokeLine;
bool qw__read_invoke_line(const char *line, size_t len, QWInvokeLine *out);

void qw__buf_int(QWBuf *b, int64_t value);
void qw__buf_millis(QWBuf *b, double ms);
void qw__buf_json_string(QWBuf *b, const char *s, size_t len);
void qw__buf_base64(QWBuf *b, const uint8_t *data, size_t len);
void qw__buf_free(QWBuf *b);
int qw__base64_decode(const char *in, size_t len, uint8_t *out, size_t *out_len);
size_t qw__base64_decoded_max(size_t len);
void qw__send(QWRuntime *qw, QWBuf *line);
void qw__send_streamed(QWRuntime *qw, QWBuf *head, JSValueConst array, QWBuf *tail);
void qw__body_out_free(QWRuntime *qw);
void qw__send_error(QWRuntime *qw, int64_t id, const char *code, const char *name, const char *message,
                    const char *stack);
void qw__send_denied(QWRuntime *qw, int64_t id, const char *capability, const char *target, const char *rule);
void qw__send_log(QWRuntime *qw, int64_t id, const char *level, const char *msg, size_t len);
int qw__ipc_start(QWRuntime *qw);
void qw__release_line(QWRuntime *qw);
int qw__take_body(char *line, size_t len, const char *const *path, size_t depth, uint8_t **out,
                  size_t *out_len, void *(*alloc)(void *opaque, size_t size), void *opaque);

/* mod_host.c: respond/fail/setup, the prelude's side of invocations. */
void qw__mod_host_init(JSContext *ctx, JSValue ns);
/* mod_console.c */
void qw__mod_console_init(JSContext *ctx, JSValue ns);
/* mod_timers.c */
void qw__mod_timers_init(JSContext *ctx, JSValue ns);
void qw__timers_close_all(QWRuntime *qw);
void qw__timers_advance(QWRuntime *qw, double ms);
/* mod_clock.c */
int qw__fake_clock_install(JSContext *ctx);
int qw__performance_install(JSContext *ctx);
void qw__clock_restart(QWRuntime *qw);
/* mod_encoding.c */
void qw__mod_encoding_init(JSContext *ctx, JSValue ns);

/* mod_zlib.c */
void qw__mod_zlib_init(JSContext *ctx, JSValue ns);
/* mod_crypto.c */
void qw__mod_crypto_init(JSContext *ctx, JSValue ns);
void qw__seed_random(QWRuntime *qw, uint32_t seed);
void qw__reseed(QWRuntime *qw);
int qw__install_math_random(JSContext *ctx);
/* mod_fetch.c */
void qw__mod_fetch_init(JSContext *ctx, JSValue ns);
void qw__fetch_on_result(QWRuntime *qw, int64_t id, JSValue payload);
void qw__fetch_free_all(QWRuntime *qw);
/* mod_fs.c */
void qw__mod_fs_init(JSContext *ctx, JSValue ns);
JSModuleDef *qw__fs_module(JSContext *ctx, const char *name);
int qw__fs_check_path(QWRuntime *qw, const char *path, bool write, char **resolved, const char **rule);

/* The prelude bytecode, generated at build time by qw-compile. */
extern const uint8_t *const qw_prelude;
extern const size_t qw_prelude_size;
/* The lazily evaluated parts, named as in CMakeLists.txt's QW_PRELUDE_PARTS;
 * the table ends with a NULL name. */
struct qw_prelude_part {
    const char *name;
    const uint8_t *bytecode;
    size_t size;
};
extern const struct qw_prelude_part qw_prelude_parts[];

#endif

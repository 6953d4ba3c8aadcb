/*
 * The "bare QuickJS-NG process" of bench/quickjs-peers.mjs: the engine the
 * native worker is built on, and nothing else. It evaluates one script
 * (argv[1]) that defines globalThis.onLine(line), reads NDJSON requests on
 * stdin, hands each line to onLine, runs the promise jobs, and writes what
 * the script passed to send() as lines on stdout. No prelude, no fence, no
 * limits, blocking reads and writes: the floor a sandboxed worker is
 * compared with, not a runtime anyone should deploy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quickjs.h"

static char *out;
static size_t out_len, out_cap;

static void out_append(const char *data, size_t len) {
    if (out_len + len > out_cap) {
        size_t cap = out_cap ? out_cap : 65536;
        while (cap < out_len + len)
            cap *= 2;
        out = realloc(out, cap);
        if (!out)
            abort();
        out_cap = cap;
    }
    memcpy(out + out_len, data, len);
    out_len += len;
}

static int flush_out(void) {
    size_t done = 0;
    while (done < out_len) {
        ssize_t n = write(STDOUT_FILENO, out + done, out_len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    out_len = 0;
    return 0;
}

static JSValue js_send(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val;
    size_t len;
    const char *s = JS_ToCStringLen(ctx, &len, argc > 0 ? argv[0] : JS_UNDEFINED);
    if (!s)
        return JS_EXCEPTION;
    out_append(s, len);
    out_append("\n", 1);
    JS_FreeCString(ctx, s);
    return JS_UNDEFINED;
}

static void report(JSContext *ctx) {
    JSValue e = JS_GetException(ctx);
    const char *s = JS_ToCString(ctx, e);
    fprintf(stderr, "bare-quickjs: %s\n", s ? s : "(exception)");
    JS_FreeCString(ctx, s);
    JS_FreeValue(ctx, e);
}

static int run_jobs(JSRuntime *rt) {
    JSContext *job_ctx;
    int r;
    while ((r = JS_ExecutePendingJob(rt, &job_ctx)) != 0) {
        if (r < 0) {
            report(job_ctx);
            return -1;
        }
    }
    return 0;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *data;
    long size;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc((size_t)size + 1);
    if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        free(data);
        return NULL;
    }
    fclose(f);
    data[size] = '\0';
    *len = (size_t)size;
    return data;
}

int main(int argc, char **argv) {
    JSRuntime *rt;
    JSContext *ctx;
    JSValue global, result, on_line;
    char *source, *in = NULL;
    size_t source_len, in_len = 0, in_cap = 0, start;

    if (argc != 2) {
        fprintf(stderr, "usage: bare-quickjs script.js\n");
        return 2;
    }
    source = read_file(argv[1], &source_len);
    if (!source) {
        fprintf(stderr, "bare-quickjs: cannot read %s\n", argv[1]);
        return 2;
    }
    rt = JS_NewRuntime();
    ctx = JS_NewContext(rt);
    global = JS_GetGlobalObject(ctx);
    JS_SetPropertyStr(ctx, global, "send", JS_NewCFunction(ctx, js_send, "send", 1));
    result = JS_Eval(ctx, source, source_len, argv[1], JS_EVAL_TYPE_GLOBAL);
    free(source);
    if (JS_IsException(result) || run_jobs(rt) < 0) {
        if (JS_IsException(result))
            report(ctx);
        return 1;
    }
    JS_FreeValue(ctx, result);
    on_line = JS_GetPropertyStr(ctx, global, "onLine");
    if (!JS_IsFunction(ctx, on_line)) {
        fprintf(stderr, "bare-quickjs: the script defines no onLine function\n");
        return 1;
    }
    for (;;) {
        ssize_t n;
        if (in_cap - in_len < 65536) {
            in_cap = in_cap ? in_cap * 2 : 131072;
            in = realloc(in, in_cap);
            if (!in)
                abort();
        }
        n = read(STDIN_FILENO, in + in_len, in_cap - in_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        in_len += (size_t)n;
        start = 0;
        for (;;) {
            char *nl = memchr(in + start, '\n', in_len - start);
            JSValue line, r;
            if (!nl)
                break;
            line = JS_NewStringLen(ctx, in + start, (size_t)(nl - (in + start)));
            r = JS_Call(ctx, on_line, JS_UNDEFINED, 1, &line);
            JS_FreeValue(ctx, line);
            if (JS_IsException(r)) {
                report(ctx);
                return 1;
            }
            JS_FreeValue(ctx, r);
            start = (size_t)(nl - in) + 1;
        }
        memmove(in, in + start, in_len - start);
        in_len -= start;
        if (run_jobs(rt) < 0 || flush_out() < 0)
            return 1;
    }
    JS_FreeValue(ctx, on_line);
    JS_FreeValue(ctx, global);
    JS_FreeContext(ctx);
    JS_FreeRuntime(rt);
    free(in);
    free(out);
    return 0;
}

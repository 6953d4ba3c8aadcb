/*
 * The quickjs-wasm guest on the native engine: the binding and the prelude
 * exactly as quickjs-wasm bundles them (dist/workers/wasm/prelude/binding.js
 * and index.js), evaluated in the QuickJS-NG build the native worker links
 * (build/libqjs.a), with a stub host in place of lib/workers/wasm/sandbox.ts.
 * It calls the guest's entry the way the sandbox does, invoke() and then the
 * job queue, so that callgrind can count what the engine runs per call:
 * bench/instructions-per-call.mjs --guest. The WebAssembly build interprets
 * the same bytecode with the same engine, so what the guest costs here is
 * what the prelude and the binding cost there, in proportion; what crossing
 * into the host costs (the sandbox's side of utf8Encode, respond, ...) is not
 * in it: the stub's host functions are a few C lines each.
 *
 * usage: wasm-guest PRELUDE_DIR handler.js (body-file | -) calls
 * handler.js sets globalThis.__handler to what the handler module's default
 * export would be.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quickjs.h"

static int responses;

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *data;
    long size;

    if (!f) {
        fprintf(stderr, "wasm-guest: cannot read %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc((size_t)size + 1);
    if (!data || fread(data, 1, (size_t)size, f) != (size_t)size)
        exit(2);
    fclose(f);
    data[size] = '\0';
    *len = (size_t)size;
    return data;
}

static void die(JSContext *ctx) {
    JSValue e = JS_GetException(ctx);
    JSValue stack = JS_GetPropertyStr(ctx, e, "stack");
    const char *s = JS_ToCString(ctx, e), *t = JS_ToCString(ctx, stack);
    fprintf(stderr, "wasm-guest: %s\n%s\n", s ? s : "(exception)", t ? t : "");
    exit(1);
}

static void eval_file(JSContext *ctx, const char *dir, const char *name) {
    char path[4096];
    size_t len;
    char *source;
    JSValue r;

    snprintf(path, sizeof(path), "%s%s%s", dir ? dir : "", dir ? "/" : "", name);
    source = read_file(path, &len);
    r = JS_Eval(ctx, source, len, name, JS_EVAL_TYPE_GLOBAL);
    free(source);
    if (JS_IsException(r))
        die(ctx);
    JS_FreeValue(ctx, r);
}

static JSValue host_utf8_encode(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    size_t len;
    const char *s = JS_ToCStringLen(ctx, &len, argv[0]);
    JSValue r;

    if (!s)
        return JS_EXCEPTION;
    r = JS_NewArrayBufferCopy(ctx, (const uint8_t *)s, len);
    JS_FreeCString(ctx, s);
    return r;
}

static JSValue host_utf8_decode(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    size_t len;
    uint8_t *p = JS_GetArrayBuffer(ctx, &len, argv[0]);

    if (!p)
        return JS_EXCEPTION;
    return JS_NewStringLen(ctx, (const char *)p, len);
}

static JSValue host_respond(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    responses++;
    return JS_UNDEFINED;
}

static JSValue host_fail(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    const char *message = JS_ToCString(ctx, argv[3]);
    fprintf(stderr, "wasm-guest: the invocation failed: %s\n", message ? message : "?");
    exit(1);
}

/* The host functions the binding takes from globalThis.__qw_host, for the
 * settings of a strict profile: the four that a hello or json call reaches
 * in C, the rest in JavaScript. */
static const char STUB[] =
    "globalThis.__qw_host = {"
    "  options: () => ({ env: '{}', allowEval: false, allowFilesystem: false, projectId: 'bench', engineVersion: '0',"
    "    maxBodyBytes: 1 << 25, fakeClock: false, randomSeed: null, exactStrings: true }),"
    "  currentId: () => 1, log() {}, timer: () => 1, clearTimer() {}, now: () => 0, random: (n) => new ArrayBuffer(n),"
    "  denyEval() {}, loadLazy() { throw new Error('no lazy parts in the guest bench'); },"
    "  base64Encode: () => '', base64Decode: () => new ArrayBuffer(0), call: () => 0, fs: () => 0,"
    "  utf8Encode: __host.utf8Encode, utf8Decode: __host.utf8Decode, respond: __host.respond, fail: __host.fail };"
    "delete globalThis.__host;";
static const char ATTACH[] =
    "globalThis.__entry = globalThis.__qw_entry; delete globalThis.__qw_entry;"
    "{ const why = __entry.setHandler({ default: globalThis.__handler }); if (why) throw new Error(why); }";

int main(int argc, char **argv) {
    JSRuntime *rt;
    JSContext *ctx, *job_ctx;
    JSValue global, host, entry, invoke, r;
    char *body = NULL;
    size_t body_len = 0;
    int calls, i, k, jr;
    bool fields;

    if (argc != 5) {
        fprintf(stderr, "usage: wasm-guest PRELUDE_DIR handler.js (body-file | -) calls\n");
        return 2;
    }
    rt = JS_NewRuntime();
    ctx = JS_NewContext(rt);
    global = JS_GetGlobalObject(ctx);
    host = JS_NewObject(ctx);
    JS_SetPropertyStr(ctx, host, "utf8Encode", JS_NewCFunction(ctx, host_utf8_encode, "utf8Encode", 1));
    JS_SetPropertyStr(ctx, host, "utf8Decode", JS_NewCFunction(ctx, host_utf8_decode, "utf8Decode", 2));
    JS_SetPropertyStr(ctx, host, "respond", JS_NewCFunction(ctx, host_respond, "respond", 3));
    JS_SetPropertyStr(ctx, host, "fail", JS_NewCFunction(ctx, host_fail, "fail", 5));
    JS_SetPropertyStr(ctx, global, "__host", host);
    r = JS_Eval(ctx, STUB, strlen(STUB), "stub", JS_EVAL_TYPE_GLOBAL);
    if (JS_IsException(r))
        die(ctx);
    JS_FreeValue(ctx, r);
    eval_file(ctx, argv[1], "binding.js");
    eval_file(ctx, argv[1], "index.js");
    eval_file(ctx, NULL, argv[2]);
    r = JS_Eval(ctx, ATTACH, strlen(ATTACH), "attach", JS_EVAL_TYPE_GLOBAL);
    if (JS_IsException(r))
        die(ctx);
    JS_FreeValue(ctx, r);
    entry = JS_GetPropertyStr(ctx, global, "__entry");
    invoke = JS_GetPropertyStr(ctx, entry, "invoke");
    {
        /* invoke(id, requestJson, body), or an older binding's
         * invoke(id, method, url, headersJson, body). */
        JSValue length = JS_GetPropertyStr(ctx, invoke, "length");
        int32_t n = 0;
        JS_ToInt32(ctx, &n, length);
        JS_FreeValue(ctx, length);
        fields = n == 5;
    }
    if (strcmp(argv[3], "-") != 0)
        body = read_file(argv[3], &body_len);
    calls = atoi(argv[4]);
    for (i = 1; i <= calls; i++) {
        /* What the sandbox passes: id, [method, url, headers] as JSON, the body's bytes or null. */
        JSValue args[5];
        int n = 0;
        args[n++] = JS_NewInt32(ctx, i);
        if (fields) {
            args[n++] = JS_NewString(ctx, body ? "POST" : "GET");
            args[n++] = JS_NewString(ctx, "http://localhost/");
            args[n++] = JS_NewString(ctx, "[]");
        } else {
            args[n++] = JS_NewString(ctx, body ? "[\"POST\",\"http://localhost/\",[]]" : "[\"GET\",\"http://localhost/\",[]]");
        }
        args[n++] = body ? JS_NewArrayBufferCopy(ctx, (const uint8_t *)body, body_len) : JS_NULL;
        r = JS_Call(ctx, invoke, entry, n, (JSValueConst *)args);
        for (k = 0; k < n; k++)
            JS_FreeValue(ctx, args[k]);
        if (JS_IsException(r))
            die(ctx);
        JS_FreeValue(ctx, r);
        while ((jr = JS_ExecutePendingJob(rt, &job_ctx)) != 0)
            if (jr < 0)
                die(ctx);
    }
    if (responses != calls) {
        fprintf(stderr, "wasm-guest: %d answers for %d calls\n", responses, calls);
        return 1;
    }
    free(body);
    JS_FreeValue(ctx, invoke);
    JS_FreeValue(ctx, entry);
    JS_FreeValue(ctx, global);
    JS_FreeContext(ctx);
    JS_FreeRuntime(rt);
    return 0;
}

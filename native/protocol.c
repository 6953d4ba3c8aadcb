/*
 * NDJSON framing on the host channel (fd 3): line splitting on input, JSON
 * string escaping and base64 on output, and a write path that never blocks
 * the loop: one uv_write in flight, later lines accumulate behind it.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "private.h"

#define QW_READ_CHUNK 65536
/* At most this much output is held back to leave in one write (see on_read). */
#define QW_HOLD_OUTPUT_MAX 65536

int qw__buf_reserve(QWBuf *b, size_t extra) {
    size_t want = b->len + extra + 1;
    size_t cap;
    char *data;

    if (want <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < want)
        cap *= 2;
    data = realloc(b->data, cap);
    CHECK(data != NULL);
    b->data = data;
    b->cap = cap;
    return 0;
}

void qw__buf_append(QWBuf *b, const void *data, size_t len) {
    qw__buf_reserve(b, len);
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void qw__buf_puts(QWBuf *b, const char *s) {
    qw__buf_append(b, s, strlen(s));
}

void qw__buf_printf(QWBuf *b, const char *fmt, ...) {
    va_list ap;
    int n;
    size_t room;

    /* Formatted once into the room there is, a second time only if it did not fit. */
    qw__buf_reserve(b, 128);
    room = b->cap - b->len;
    va_start(ap, fmt);
    n = vsnprintf(b->data + b->len, room, fmt, ap);
    va_end(ap);
    CHECK(n >= 0);
    if ((size_t)n >= room) {
        qw__buf_reserve(b, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

void qw__buf_int(QWBuf *b, int64_t value) {
    char digits[24];
    size_t i = sizeof(digits);
    uint64_t u = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;

    do {
        digits[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (value < 0)
        digits[--i] = '-';
    qw__buf_append(b, digits + i, sizeof(digits) - i);
}

/* Milliseconds with three decimals, as "%.3f" would write them; printf's
 * floating-point path was a visible share of a warm call's instructions. */
void qw__buf_millis(QWBuf *b, double ms) {
    char frac[4];
    int64_t micros;

    if (!(ms >= 0 && ms < 9e12)) {
        qw__buf_printf(b, "%.3f", ms > 0 ? ms : 0.0);
        return;
    }
    micros = (int64_t)(ms * 1000 + 0.5);
    qw__buf_int(b, micros / 1000);
    frac[0] = '.';
    frac[1] = (char)('0' + micros / 100 % 10);
    frac[2] = (char)('0' + micros / 10 % 10);
    frac[3] = (char)('0' + micros % 10);
    qw__buf_append(b, frac, 4);
}

void qw__buf_json_string(QWBuf *b, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    size_t i;

    /* Worst case every byte becomes \u00XX. */
    qw__buf_reserve(b, len * 6 + 2);
    b->data[b->len++] = '"';
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            b->data[b->len++] = '\\';
            b->data[b->len++] = '"';
            break;
        case '\\':
            b->data[b->len++] = '\\';
            b->data[b->len++] = '\\';
            break;
        case '\n':
            b->data[b->len++] = '\\';
            b->data[b->len++] = 'n';
            break;
        case '\r':
            b->data[b->len++] = '\\';
            b->data[b->len++] = 'r';
            break;
        case '\t':
            b->data[b->len++] = '\\';
            b->data[b->len++] = 't';
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                memcpy(b->data + b->len, "\\u00", 4);
                b->len += 4;
                b->data[b->len++] = hex[c >> 4];
                b->data[b->len++] = hex[c & 15];
            } else {
                b->data[b->len++] = (char)c;
            }
        }
    }
    b->data[b->len++] = '"';
    b->data[b->len] = '\0';
}

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void qw__buf_base64(QWBuf *b, const uint8_t *in, size_t len) {
    size_t i;
    char *o;

    qw__buf_reserve(b, (len + 2) / 3 * 4);
    o = b->data + b->len;
    for (i = 0; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *o++ = b64_alphabet[v >> 18];
        *o++ = b64_alphabet[(v >> 12) & 63];
        *o++ = b64_alphabet[(v >> 6) & 63];
        *o++ = b64_alphabet[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);
        *o++ = b64_alphabet[v >> 18];
        *o++ = b64_alphabet[(v >> 12) & 63];
        *o++ = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
}

size_t qw__base64_decoded_max(size_t len) {
    return len / 4 * 3 + 3;
}

/* Each byte's value in base64, standard and URL-safe alphabets alike; -1 if
 * none. Filled once (the zygote does it before any fork). */
static int8_t b64_values[256];
static bool b64_ready;

static void b64_fill(void) {
    int i;

    memset(b64_values, -1, sizeof(b64_values));
    for (i = 0; i < 26; i++) {
        b64_values['A' + i] = (int8_t)i;
        b64_values['a' + i] = (int8_t)(26 + i);
    }
    for (i = 0; i < 10; i++)
        b64_values['0' + i] = (int8_t)(52 + i);
    b64_values['+'] = b64_values['-'] = 62;
    b64_values['/'] = b64_values['_'] = 63;
    b64_ready = true;
}

/* Accepts the standard and the URL-safe alphabet, padding optional. Four
 * characters at a time through a table: a character at a time through
 * comparisons cost about 15 instructions each, most of a json call's
 * protocol work. */
int qw__base64_decode(const char *in, size_t len, uint8_t *out, size_t *out_len) {
    const unsigned char *p = (const unsigned char *)in;
    size_t i = 0, n = 0, rest;
    int a, b, c, d;
    uint32_t v;

    if (!b64_ready)
        b64_fill();
    while (len > 0 && in[len - 1] == '=')
        len--;
    for (; i + 4 <= len; i += 4) {
        a = b64_values[p[i]];
        b = b64_values[p[i + 1]];
        c = b64_values[p[i + 2]];
        d = b64_values[p[i + 3]];
        if ((a | b | c | d) < 0)
            return -1;
        v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
        out[n] = (uint8_t)(v >> 16);
        out[n + 1] = (uint8_t)(v >> 8);
        out[n + 2] = (uint8_t)v;
        n += 3;
    }
    rest = len - i;
    if (rest == 1)
        return -1;
    if (rest > 1) {
        a = b64_values[p[i]];
        b = b64_values[p[i + 1]];
        c = rest == 3 ? b64_values[p[i + 2]] : 0;
        if ((a | b | c) < 0)
            return -1;
        v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
        out[n++] = (uint8_t)(v >> 16);
        if (rest == 3)
            out[n++] = (uint8_t)(v >> 8);
    }
    *out_len = n;
    return 0;
}

void qw__buf_free(QWBuf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- output ------------------------------------------------------------- */

static void start_write(QWRuntime *qw);
static void flush_pending(QWRuntime *qw);

/* Buffers past this size are given back once written, not kept for reuse. */
#define QW_KEEP_BUF_MAX (256 * 1024)

/* Input bytes base64-encoded per write while a body streams out (1 MiB out). */
#define QW_BODY_CHUNK (768 * 1024)

void qw__body_out_free(QWRuntime *qw) {
    if (!qw->body_out.active)
        return;
    qw->body_out.active = false;
    JS_FreeValue(qw->ctx, qw->body_out.array);
    qw->body_out.array = JS_UNDEFINED;
    qw__buf_free(&qw->body_out.tail);
    qw__buf_free(&qw->body_out.after);
}

/* Refills out_pending from a streaming body: the next chunk, or at the end
 * the rest of the line and whatever was sent meanwhile. */
static void fill_from_body(QWRuntime *qw) {
    QWBodyOut *bo = &qw->body_out;
    size_t len = 0, n;
    const uint8_t *data;

    /* The array is the Response's own copy, out of the handler's reach; its
     * address is read again each time all the same. */
    data = JS_GetUint8Array(qw->ctx, &len, bo->array);
    if (!data)
        len = 0;
    if (bo->off < len) {
        n = len - bo->off < QW_BODY_CHUNK ? len - bo->off : QW_BODY_CHUNK;
        qw__buf_base64(&qw->out_pending, data + bo->off, n);
        bo->off += n;
        if (bo->off < len)
            return;
    }
    qw__buf_append(&qw->out_pending, bo->tail.data, bo->tail.len);
    if (bo->after.len)
        qw__buf_append(&qw->out_pending, bo->after.data, bo->after.len);
    bo->active = false;
    JS_FreeValue(qw->ctx, bo->array);
    bo->array = JS_UNDEFINED;
    qw__buf_free(&bo->tail);
    qw__buf_free(&bo->after);
}

static void on_write(uv_write_t *req, int status) {
    QWRuntime *qw = req->data;

    qw->writing = false;
    qw->out_inflight.len = 0;
    if (qw->out_inflight.cap > QW_KEEP_BUF_MAX)
        qw__buf_free(&qw->out_inflight);
    if (status < 0) {
        /* The host is gone; nothing more can be said to it. */
        qw->out_pending.len = 0;
        qw__body_out_free(qw);
        qw__on_eof(qw);
        return;
    }
    if (qw->out_pending.len == 0 && qw->body_out.active)
        fill_from_body(qw);
    if (qw->out_pending.len > 0)
        start_write(qw);
}

static void start_write(QWRuntime *qw) {
    QWBuf tmp;
    uv_buf_t buf;
    int r;

    tmp = qw->out_inflight;
    qw->out_inflight = qw->out_pending;
    qw->out_pending = tmp;
    qw->out_pending.len = 0;
    buf = uv_buf_init(qw->out_inflight.data, (unsigned int)qw->out_inflight.len);
    qw->write_req.data = qw;
    r = uv_write(&qw->write_req, (uv_stream_t *)&qw->ipc, &buf, 1, on_write);
    if (r < 0) {
        qw->out_inflight.len = 0;
        qw__body_out_free(qw);
        qw__on_eof(qw);
        return;
    }
    qw->writing = true;
}

/* Sends one message; `line` holds the JSON without the newline. The caller
 * still frees `line` afterwards, but its contents may have been swapped with
 * an empty buffer: a large line that does not fit the socket at once is
 * handed to the write queue as it is, not copied. */
void qw__send(QWRuntime *qw, QWBuf *line) {
    qw__buf_append(line, "\n", 1);
    if (uv_is_closing((uv_handle_t *)&qw->ipc))
        return;
    if (qw->body_out.active) {
        /* A body is on its way out: lines wait until its own line is complete. */
        qw__buf_append(&qw->body_out.after, line->data, line->len);
        return;
    }
    if (qw->out_pending.len == 0) {
        /* Taken over as it is, not copied (see above). */
        QWBuf tmp = qw->out_pending;
        qw->out_pending = *line;
        *line = tmp;
    } else {
        qw__buf_append(&qw->out_pending, line->data, line->len);
    }
    /* Held output is bounded: a handler logging in a loop before it returns
     * to the loop has its lines written as before, not piled up here. */
    if (!qw->writing && (!qw->holding_output || qw->out_pending.len >= QW_HOLD_OUTPUT_MAX))
        flush_pending(qw);
}

/*
 * Sends `head` + base64(array) + `tail` as one line without ever holding the
 * whole base64 form: the body is encoded a chunk at a time as the socket
 * drains. `head` and `tail` are taken over (left empty); `tail` must end the
 * JSON without the newline. The array is kept alive until it is written.
 */
void qw__send_streamed(QWRuntime *qw, QWBuf *head, JSValueConst array, QWBuf *tail) {
    QWBodyOut *bo = &qw->body_out;

    if (bo->active) {
        /* One body streams at a time; this one waits, encoded whole. */
        size_t len = 0;
        const uint8_t *data = JS_GetUint8Array(qw->ctx, &len, array);
        qw__buf_base64(head, data ? data : (const uint8_t *)"", data ? len : 0);
        qw__buf_append(head, tail->data, tail->len);
        qw__buf_free(tail);
        qw__send(qw, head);
        qw__buf_free(head);
        return;
    }
    if (uv_is_closing((uv_handle_t *)&qw->ipc)) {
        qw__buf_free(head);
        qw__buf_free(tail);
        return;
    }
    qw__buf_append(tail, "\n", 1);
    bo->active = true;
    bo->array = JS_DupValue(qw->ctx, array);
    bo->off = 0;
    bo->tail = *tail;
    memset(tail, 0, sizeof(*tail));
    qw__buf_append(&qw->out_pending, head->data, head->len);
    qw__buf_free(head);
    if (!qw->writing && !qw->holding_output)
        start_write(qw);
}

static void send_cstr_field(QWBuf *b, const char *name, const char *value) {
    qw__buf_printf(b, ",\"%s\":", name);
    if (value)
        qw__buf_json_string(b, value, strlen(value));
    else
        qw__buf_puts(b, "null");
}

void qw__send_error(QWRuntime *qw, int64_t id, const char *code, const char *name, const char *message,
                    const char *stack) {
    QWBuf b = {0};

    qw__buf_printf(&b, "{\"id\":%lld,\"type\":\"error\",\"payload\":{\"code\":", (long long)id);
    qw__buf_json_string(&b, code, strlen(code));
    send_cstr_field(&b, "name", name ? name : "Error");
    send_cstr_field(&b, "message", message ? message : "");
    if (stack && *stack)
        send_cstr_field(&b, "stack", stack);
    qw__buf_puts(&b, "}}");
    qw__send(qw, &b);
    qw__buf_free(&b);
}

void qw__send_denied(QWRuntime *qw, int64_t id, const char *capability, const char *target,
                     const char *rule) {
    QWBuf b = {0};

    qw__buf_printf(&b, "{\"id\":%lld,\"type\":\"denied\",\"payload\":{\"capability\":", (long long)id);
    qw__buf_json_string(&b, capability, strlen(capability));
    send_cstr_field(&b, "target", target);
    send_cstr_field(&b, "rule", rule);
    qw__buf_puts(&b, "}}");
    qw__send(qw, &b);
    qw__buf_free(&b);
}

/* Cuts at most max bytes without splitting a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len, size_t max) {
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
        max--;
    return max;
}

void qw__send_log(QWRuntime *qw, int64_t id, const char *level, const char *msg, size_t len) {
    QWBuf b = {0};
    struct timespec ts;

    QWInvocation *inv = id ? qw__find_invocation(qw, id) : NULL;

    len = utf8_cut(msg, len, qw->max_log_bytes);
    if (inv) {
        /* The host keeps maxLogBytes of an invocation's logs and marks the
         * rest as cut: once past that, lines are not even sent. A handler
         * logging in a loop before it returns to the loop would otherwise
         * pile them up in the write queue, which only drains between
         * callbacks, until its worker ran out of memory. */
        if (inv->log_bytes > qw->max_log_bytes)
            return;
        inv->log_bytes += len;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    qw__buf_printf(
        &b, "{\"id\":%lld,\"type\":\"log\",\"payload\":{\"level\":\"%s\",\"message\":", (long long)id, level);
    qw__buf_json_string(&b, msg, len);
    qw__buf_printf(&b, ",\"time\":%lld}}", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    qw__send(qw, &b);
    qw__buf_free(&b);
}

/* ---- input -------------------------------------------------------------- */

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
    QWRuntime *qw = handle->data;

    if (qw->rcap - qw->rlen < QW_READ_CHUNK) {
        size_t cap = qw->rcap ? qw->rcap * 2 : QW_READ_CHUNK * 2;
        char *p;
        while (cap - qw->rlen < QW_READ_CHUNK)
            cap *= 2;
        p = realloc(qw->rbuf, cap);
        CHECK(p != NULL);
        qw->rbuf = p;
        qw->rcap = cap;
    }
    *buf = uv_buf_init(qw->rbuf + qw->rlen, (unsigned int)(qw->rcap - qw->rlen - 1));
}

/* Writes what was held: at once if the socket takes it all (no write request,
 * no poll for writability), through the write queue otherwise. */
static void flush_pending(QWRuntime *qw) {
    uv_buf_t buf;
    int n;

    /* A streamed body is fed from the write queue's callbacks. */
    if (qw->body_out.active) {
        start_write(qw);
        return;
    }
    buf = uv_buf_init(qw->out_pending.data, (unsigned int)qw->out_pending.len);
    n = uv_try_write((uv_stream_t *)&qw->ipc, &buf, 1);
    if (n == (int)qw->out_pending.len) {
        qw->out_pending.len = 0;
        return;
    }
    if (n > 0) {
        memmove(qw->out_pending.data, qw->out_pending.data + n, qw->out_pending.len - (size_t)n);
        qw->out_pending.len -= (size_t)n;
    }
    start_write(qw);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
    QWRuntime *qw = stream->data;

    if (nread < 0) {
        qw__on_eof(qw);
        return;
    }
    qw->rlen += (size_t)nread;
    qw->holding_output = true;
    while (!qw->exit_requested) {
        char *nl = memchr(qw->rbuf + qw->rscan, '\n', qw->rlen - qw->rscan);
        size_t line = qw->rstart, len;
        if (!nl) {
            qw->rscan = qw->rlen;
            break;
        }
        len = (size_t)(nl - (qw->rbuf + line));
        *nl = '\0';
        qw->rstart = qw->rscan = line + len + 1;
        /* May call qw__release_line(), which moves what follows elsewhere. */
        if (len > 0)
            qw__on_message(qw, qw->rbuf + line, len);
    }
    qw->holding_output = false;
    if (!qw->writing && qw->out_pending.len > 0 && !uv_is_closing((uv_handle_t *)&qw->ipc))
        flush_pending(qw);
    if (qw->rstart > 0) {
        memmove(qw->rbuf, qw->rbuf + qw->rstart, qw->rlen - qw->rstart);
        qw->rlen -= qw->rstart;
        qw->rscan -= qw->rstart;
        qw->rstart = 0;
    }
    /* Give back the memory of a large message once it has been handled. */
    if (qw->rlen == 0 && qw->rcap > 4 * QW_READ_CHUNK) {
        free(qw->rbuf);
        qw->rbuf = NULL;
        qw->rcap = 0;
        qw->rscan = 0;
    }
}

/* The message being handled has been parsed and its line is not needed any
 * more: if it sits in a large buffer, the bytes after it move to a small
 * one and the large one is freed now, before the handler runs and
 * allocates its own copies of the body. The line must not be used after. */
void qw__release_line(QWRuntime *qw) {
    size_t rest, cap;
    char *p;

    if (qw->rcap <= 4 * QW_READ_CHUNK)
        return;
    rest = qw->rlen - qw->rstart;
    cap = rest + 2 * QW_READ_CHUNK;
    p = malloc(cap);
    CHECK(p != NULL);
    memcpy(p, qw->rbuf + qw->rstart, rest);
    free(qw->rbuf);
    qw->rbuf = p;
    qw->rcap = cap;
    qw->rlen = rest;
    qw->rstart = 0;
    qw->rscan = 0;
}

int qw__ipc_start(QWRuntime *qw) {
    int r = uv_pipe_init(&qw->loop, &qw->ipc, 0);

    CHECK(r == 0);
    qw->ipc.data = qw;
    r = uv_pipe_open(&qw->ipc, QW_IPC_FD);
    if (r < 0)
        return r;
    return uv_read_start((uv_stream_t *)&qw->ipc, on_alloc, on_read);
}

/* ---- large bodies, outside the JSON parser ---------------------------------
 *
 * A body near maxBodyBytes arrives as a base64 string a third larger. Parsed
 * by the engine it would exist three times over (the line, the JS string, the
 * decoded bytes). Instead the body is found in the line with the small
 * scanner below, decoded straight from the line, and replaced there by `null`
 * (padded with spaces) before the rest of the message is parsed.
 */

static size_t skip_ws(const char *s, size_t len, size_t i) {
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* Index just past the string starting at s[i] == '"', or 0 if malformed. */
static size_t skip_string(const char *s, size_t len, size_t i) {
    for (i++; i < len; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return 0;
}

/* Index just past the JSON value at s[i], or 0 if malformed. */
static size_t skip_value(const char *s, size_t len, size_t i) {
    int depth = 0;

    if (i >= len)
        return 0;
    if (s[i] == '"')
        return skip_string(s, len, i);
    if (s[i] != '{' && s[i] != '[') {
        while (i < len && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' &&
               s[i] != '\r' && s[i] != '\n')
            i++;
        return i;
    }
    for (; i < len; i++) {
        if (s[i] == '"') {
            i = skip_string(s, len, i);
            if (!i)
                return 0;
            i--;
        } else if (s[i] == '{' || s[i] == '[') {
            depth++;
        } else if (s[i] == '}' || s[i] == ']') {
            if (--depth == 0)
                return i + 1;
        }
    }
    return 0;
}

/* Finds the value of `key` in the object starting at s[i] == '{'. Sets
 * *vstart and returns the index past the value, or returns 0. Keys with
 * escapes never match: ours are plain words. */
static size_t find_member(const char *s, size_t len, size_t i, const char *key, size_t *vstart) {
    size_t klen = strlen(key);

    if (i >= len || s[i] != '{')
        return 0;
    i = skip_ws(s, len, i + 1);
    while (i < len && s[i] == '"') {
        size_t kstart = i + 1, kend = skip_string(s, len, i), vend;
        if (!kend)
            return 0;
        i = skip_ws(s, len, kend);
        if (i >= len || s[i] != ':')
            return 0;
        i = skip_ws(s, len, i + 1);
        vend = skip_value(s, len, i);
        if (!vend)
            return 0;
        if (kend - 1 - kstart == klen && memcmp(s + kstart, key, klen) == 0) {
            *vstart = i;
            return vend;
        }
        i = skip_ws(s, len, vend);
        if (i < len && s[i] == ',')
            i = skip_ws(s, len, i + 1);
    }
    return 0;
}

/*
 * Takes the base64 string at `path` (object keys from the top) out of the
 * line: decodes it into a buffer from `alloc` and overwrites it with `null`.
 * Returns 1 with the buffer and its length set (length (size_t)-1: not base64,
 * the line is left alone), 0 when there is no such string, -1 when the
 * buffer could not be allocated.
 */
int qw__take_body(char *line, size_t len, const char *const *path, size_t depth, uint8_t **out,
                  size_t *out_len, void *(*alloc)(void *opaque, size_t size), void *opaque) {
    size_t i = skip_ws(line, len, 0), vstart = 0, vend = 0, d, blen, n = 0;
    uint8_t *buf;

    for (d = 0; d < depth; d++) {
        vend = find_member(line, len, i, path[d], &vstart);
        if (!vend)
            return 0;
        i = vstart;
    }
    if (line[vstart] != '"')
        return 0;
    /* Plain base64 only: an escape sequence inside means a different encoder. */
    blen = vend - vstart - 2;
    if (memchr(line + vstart + 1, '\\', blen))
        return 0;
    buf = alloc(opaque, qw__base64_decoded_max(blen));
    if (!buf)
        return -1;
    if (qw__base64_decode(line + vstart + 1, blen, buf, &n) != 0) {
        *out = buf;
        *out_len = (size_t)-1;
        return 1;
    }
    memcpy(line + vstart, "null", 4);
    memset(line + vstart + 4, ' ', vend - vstart - 4);
    *out = buf;
    *out_len = n;
    return 1;
}

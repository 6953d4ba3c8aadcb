/*
 * The `node:fs/promises` subset (readFile, writeFile, readdir, stat, mkdir,
 * rm), importable only when the profile allows the filesystem.
 *
 * Every path is checked on the loop thread after resolving symlinks and `..`
 * (realpath of the target, or of its nearest existing ancestor plus the
 * missing components). The operation then runs on libuv's thread pool on the
 * resolved path, and files are opened with O_NOFOLLOW and checked again
 * through /proc/self/fd, so a symlink swapped in after the check is refused.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"

typedef enum QWFsOp {
    QW_FS_READ_FILE,
    QW_FS_WRITE_FILE,
    QW_FS_READDIR,
    QW_FS_STAT,
    QW_FS_MKDIR,
    QW_FS_RM,
} QWFsOp;

static const char *const op_syscall[] = {"open", "open", "scandir", "stat", "mkdir", "rm"};

typedef struct QWFsReq {
    uv_work_t work;
    QWRuntime *qw;
    QWFsOp op;
    int64_t id;
    char *path;     /* resolved, owned */
    char *js_path;  /* as the handler wrote it, owned */
    bool recursive; /* mkdir, rm */
    bool force;     /* rm */
    int flags;      /* writeFile: O_APPEND or O_TRUNC */
    uint8_t *data;  /* writeFile input, readFile output (malloc) */
    size_t len;
    char *names; /* readdir: NUL-separated */
    size_t names_len;
    size_t names_count;
    struct stat st;
    int err; /* negative errno */
    JSValue resolve;
    JSValue reject;
    uint32_t generation; /* of the user context that asked (QWRuntime.generation) */
} QWFsReq;

/* ---- path policy ---------------------------------------------------------- */

static bool path_inside(const char *path, const char *dir) {
    size_t n = strlen(dir);

    if (n == 1 && dir[0] == '/')
        return true;
    while (n > 1 && dir[n - 1] == '/')
        n--;
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool inside_any(const char *path, char **dirs, size_t n) {
    size_t i;

    for (i = 0; i < n; i++)
        if (path_inside(path, dirs[i]))
            return true;
    return false;
}

/* realpath() of the nearest existing ancestor plus the missing components.
 * Missing components may not be `.` or `..` (the kernel could not walk them
 * either). Returns a malloc'ed path or NULL with errno set. */
static char *resolve_path(const char *path) {
    char *copy, *real, *cut, *out;
    size_t rest_len;

    real = realpath(path, NULL);
    if (real || errno != ENOENT)
        return real;
    copy = strdup(path);
    CHECK(copy != NULL);
    /* Strip trailing slashes, then walk up one component at a time. */
    for (;;) {
        size_t n = strlen(copy);
        while (n > 1 && copy[n - 1] == '/')
            copy[--n] = '\0';
        cut = strrchr(copy, '/');
        if (!cut) {
            free(copy);
            errno = ENOENT;
            return NULL;
        }
        {
            const char *comp = cut + 1;
            if (strcmp(comp, "..") == 0 || strcmp(comp, ".") == 0) {
                free(copy);
                errno = EINVAL;
                return NULL;
            }
        }
        if (cut == copy) {
            real = strdup("/");
        } else {
            *cut = '\0';
            real = realpath(copy, NULL);
            *cut = '/';
        }
        if (real)
            break;
        if (errno != ENOENT) {
            free(copy);
            return NULL;
        }
        *cut = '\0';
    }
    /* `cut` points at the first missing component of the original path. */
    rest_len = strlen(path + (cut - copy));
    out = malloc(strlen(real) + rest_len + 2);
    CHECK(out != NULL);
    strcpy(out, strcmp(real, "/") == 0 ? "" : real);
    strcat(out, path + (cut - copy));
    free(real);
    free(copy);
    /* Collapse duplicate slashes in the missing part. */
    {
        char *r = out, *w = out;
        for (; *r; r++)
            if (!(r[0] == '/' && r[1] == '/'))
                *w++ = *r;
        *w = '\0';
        if (w > out + 1 && w[-1] == '/')
            w[-1] = '\0';
    }
    return out;
}

static bool is_pseudo_fs(const char *path) {
    return path_inside(path, "/proc") || path_inside(path, "/sys") || path_inside(path, "/dev");
}

/* Returns 0 when allowed (with *resolved set), -1 when denied (with *rule),
 * -2 when the path could not be resolved (errno set). */
int qw__fs_check_path(QWRuntime *qw, const char *path, bool write, char **resolved, const char **rule) {
    const QWCaps *c = &qw->caps;
    char *real;

    *resolved = NULL;
    if (!c->allow_fs) {
        *rule = "allowFilesystem is false";
        return -1;
    }
    if (path[0] != '/') {
        errno = EINVAL;
        return -2;
    }
    real = resolve_path(path);
    if (!real)
        return -2;
    *resolved = real;
    if (is_pseudo_fs(real)) {
        *rule = "/proc, /sys and /dev are never allowed";
        return -1;
    }
    if (write && inside_any(real, c->read_only_paths, c->n_read_only_paths)) {
        *rule = "inside readOnlyPaths";
        return -1;
    }
    if (c->n_allowed_paths == 0)
        return 0;
    if (inside_any(real, c->allowed_paths, c->n_allowed_paths))
        return 0;
    if (!write && inside_any(real, c->read_only_paths, c->n_read_only_paths))
        return 0;
    *rule = write && inside_any(real, c->read_only_paths, c->n_read_only_paths) ? "inside readOnlyPaths"
                                                                                : "outside allowedPaths";
    return -1;
}

/* ---- errors ------------------------------------------------------------- */

static JSValue fs_error(JSContext *ctx, int err, const char *syscall, const char *path) {
    JSValue e = JS_NewError(ctx);
    char msg[PATH_MAX + 128];

    snprintf(msg, sizeof(msg), "%s: %s, %s '%s'", uv_err_name(err), uv_strerror(err), syscall, path);
    JS_SetPropertyStr(ctx, e, "message", JS_NewString(ctx, msg));
    JS_SetPropertyStr(ctx, e, "code", JS_NewString(ctx, uv_err_name(err)));
    JS_SetPropertyStr(ctx, e, "errno", JS_NewInt32(ctx, err));
    JS_SetPropertyStr(ctx, e, "syscall", JS_NewString(ctx, syscall));
    JS_SetPropertyStr(ctx, e, "path", JS_NewString(ctx, path));
    return e;
}

static JSValue denied_error(JSContext *ctx, const char *path, const char *resolved, const char *rule) {
    JSValue e = JS_NewError(ctx);
    char msg[2 * PATH_MAX + 256];

    if (resolved && strcmp(path, resolved) != 0)
        snprintf(msg, sizeof(msg),
                 "Filesystem access to '%s' (resolves to '%s') is not allowed by the capability profile: %s.",
                 path, resolved, rule);
    else
        snprintf(msg, sizeof(msg), "Filesystem access to '%s' is not allowed by the capability profile: %s.",
                 path, rule);
    JS_SetPropertyStr(ctx, e, "message", JS_NewString(ctx, msg));
    JS_SetPropertyStr(ctx, e, "code", JS_NewString(ctx, "CAPABILITY_DENIED"));
    JS_SetPropertyStr(ctx, e, "path", JS_NewString(ctx, path));
    return e;
}

/* ---- work on the thread pool ----------------------------------------------- */

/* The descriptor must name the path that was checked. */
static int verify_fd(int fd, const char *expected) {
    char link[64], actual[PATH_MAX];
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, actual, sizeof(actual) - 1);
    if (n < 0)
        return 0; /* No /proc (fenced): O_NOFOLLOW on a resolved path still holds. */
    actual[n] = '\0';
    return strcmp(actual, expected) == 0 ? 0 : -EACCES;
}

static void do_read_file(QWFsReq *r) {
    int fd = open(r->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    size_t cap, len = 0;
    struct stat st;

    if (fd < 0) {
        r->err = -errno;
        return;
    }
    if ((r->err = verify_fd(fd, r->path)) != 0)
        goto done;
    if (fstat(fd, &st) != 0) {
        r->err = -errno;
        goto done;
    }
    if (S_ISDIR(st.st_mode)) {
        r->err = -EISDIR;
        goto done;
    }
    cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
    r->data = malloc(cap);
    CHECK(r->data != NULL);
    for (;;) {
        ssize_t n;
        if (len == cap) {
            cap *= 2;
            r->data = realloc(r->data, cap);
            CHECK(r->data != NULL);
        }
        n = read(fd, r->data + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r->err = -errno;
            goto done;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    r->len = len;
done:
    close(fd);
}

static void do_write_file(QWFsReq *r) {
    int fd = open(r->path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | r->flags, 0666);
    size_t off = 0;

    if (fd < 0) {
        r->err = -errno;
        return;
    }
    if ((r->err = verify_fd(fd, r->path)) != 0)
        goto done;
    if (!(r->flags & O_APPEND) && ftruncate(fd, 0) != 0) {
        r->err = -errno;
        goto done;
    }
    while (off < r->len) {
        ssize_t n = write(fd, r->data + off, r->len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r->err = -errno;
            goto done;
        }
        off += (size_t)n;
    }
done:
    if (close(fd) != 0 && r->err == 0)
        r->err = -errno;
}

static void do_readdir(QWFsReq *r) {
    DIR *d = opendir(r->path);
    struct dirent *e;
    QWBuf b = {0};

    if (!d) {
        r->err = -errno;
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        qw__buf_append(&b, e->d_name, strlen(e->d_name) + 1);
        r->names_count++;
    }
    closedir(d);
    r->names = b.data;
    r->names_len = b.len;
}

static int mkdir_p(char *path) {
    char *p;

    if (mkdir(path, 0777) == 0 || errno == EEXIST)
        return 0;
    if (errno != ENOENT)
        return -errno;
    p = strrchr(path, '/');
    if (!p || p == path)
        return -ENOENT;
    *p = '\0';
    {
        int rc = mkdir_p(path);
        *p = '/';
        if (rc != 0)
            return rc;
    }
    return mkdir(path, 0777) == 0 || errno == EEXIST ? 0 : -errno;
}

/* Removes a tree without following symlinks: entries are unlinked through
 * the directory's descriptor. */
static int rm_tree_at(int dirfd, const char *name) {
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d;
    struct dirent *e;
    int rc = 0;

    if (fd < 0) {
        if (errno == ENOTDIR || errno == ELOOP)
            return unlinkat(dirfd, name, 0) == 0 ? 0 : -errno;
        return -errno;
    }
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        rc = rm_tree_at(fd, e->d_name);
    }
    closedir(d);
    if (rc != 0)
        return rc;
    return unlinkat(dirfd, name, AT_REMOVEDIR) == 0 ? 0 : -errno;
}

static void do_rm(QWFsReq *r) {
    struct stat st;

    if (lstat(r->path, &st) != 0) {
        r->err = (errno == ENOENT && r->force) ? 0 : -errno;
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        if (!r->recursive) {
            r->err = -EISDIR;
            return;
        }
        r->err = rm_tree_at(AT_FDCWD, r->path);
        return;
    }
    if (unlink(r->path) != 0)
        r->err = -errno;
}

static void on_work(uv_work_t *work) {
    QWFsReq *r = work->data;

    switch (r->op) {
    case QW_FS_READ_FILE:
        do_read_file(r);
        break;
    case QW_FS_WRITE_FILE:
        do_write_file(r);
        break;
    case QW_FS_READDIR:
        do_readdir(r);
        break;
    case QW_FS_STAT:
        if (stat(r->path, &r->st) != 0)
            r->err = -errno;
        break;
    case QW_FS_MKDIR:
        if (r->recursive)
            r->err = mkdir_p(r->path);
        else if (mkdir(r->path, 0777) != 0)
            r->err = -errno;
        break;
    case QW_FS_RM:
        do_rm(r);
        break;
    }
}

static double ts_ms(const struct timespec *ts) {
    return (double)ts->tv_sec * 1e3 + (double)ts->tv_nsec / 1e6;
}

static JSValue make_result(JSContext *ctx, QWFsReq *r) {
    JSValue v;
    size_t off, i;

    switch (r->op) {
    case QW_FS_READ_FILE:
        return JS_NewUint8ArrayCopy(ctx, r->data ? r->data : (const uint8_t *)"", r->len);
    case QW_FS_READDIR:
        v = JS_NewArray(ctx);
        for (i = 0, off = 0; i < r->names_count; i++) {
            size_t n = strlen(r->names + off);
            JS_SetPropertyInt64(ctx, v, (int64_t)i, JS_NewStringLen(ctx, r->names + off, n));
            off += n + 1;
        }
        return v;
    case QW_FS_STAT:
        v = JS_NewObject(ctx);
        JS_SetPropertyStr(ctx, v, "size", JS_NewFloat64(ctx, (double)r->st.st_size));
        JS_SetPropertyStr(ctx, v, "mode", JS_NewInt32(ctx, (int32_t)r->st.st_mode));
        JS_SetPropertyStr(ctx, v, "uid", JS_NewInt32(ctx, (int32_t)r->st.st_uid));
        JS_SetPropertyStr(ctx, v, "gid", JS_NewInt32(ctx, (int32_t)r->st.st_gid));
        JS_SetPropertyStr(ctx, v, "nlink", JS_NewFloat64(ctx, (double)r->st.st_nlink));
        JS_SetPropertyStr(ctx, v, "ino", JS_NewFloat64(ctx, (double)r->st.st_ino));
        JS_SetPropertyStr(ctx, v, "dev", JS_NewFloat64(ctx, (double)r->st.st_dev));
        JS_SetPropertyStr(ctx, v, "atimeMs", JS_NewFloat64(ctx, ts_ms(&r->st.st_atim)));
        JS_SetPropertyStr(ctx, v, "mtimeMs", JS_NewFloat64(ctx, ts_ms(&r->st.st_mtim)));
        JS_SetPropertyStr(ctx, v, "ctimeMs", JS_NewFloat64(ctx, ts_ms(&r->st.st_ctim)));
        JS_SetPropertyStr(ctx, v, "isFile", JS_NewBool(ctx, S_ISREG(r->st.st_mode)));
        JS_SetPropertyStr(ctx, v, "isDirectory", JS_NewBool(ctx, S_ISDIR(r->st.st_mode)));
        return v;
    default:
        return JS_UNDEFINED;
    }
}

static void free_req(JSContext *ctx, QWFsReq *r) {
    if (ctx) {
        JS_FreeValue(ctx, r->resolve);
        JS_FreeValue(ctx, r->reject);
    }
    free(r->path);
    free(r->js_path);
    free(r->data);
    free(r->names);
    free(r);
}

static void on_after_work(uv_work_t *work, int status) {
    QWFsReq *r = work->data;
    QWRuntime *qw = r->qw;
    JSContext *ctx = qw->ctx;
    JSValue v, ret;
    bool ok;

    qw->pending_fs--;
    /* A context dropped for isolation 'invocation' gets no answer. */
    if (qw->exit_requested || status == UV_ECANCELED || r->generation != qw->generation) {
        free_req(ctx, r);
        return;
    }
    ok = r->err == 0;
    v = ok ? make_result(ctx, r) : fs_error(ctx, r->err, op_syscall[r->op], r->js_path);
    qw__enter(qw, r->id);
    ret = JS_Call(ctx, ok ? r->resolve : r->reject, JS_UNDEFINED, 1, (JSValueConst *)&v);
    JS_FreeValue(ctx, v);
    qw__check_after_call(qw, ret, r->id);
    free_req(ctx, r);
}

/* ---- JS entry points -------------------------------------------------------- */

/* op(path, ...) -> Promise. magic = QWFsOp. Arguments after the path:
 * writeFile(path, Uint8Array, append), mkdir(path, recursive),
 * rm(path, recursive, force). */
static JSValue js_fs_op(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv, int magic) {
    QWRuntime *qw = qw__get(ctx);
    QWFsOp op = (QWFsOp)magic;
    bool write = op == QW_FS_WRITE_FILE || op == QW_FS_MKDIR || op == QW_FS_RM;
    const char *path, *rule = NULL;
    char *resolved = NULL;
    QWFsReq *r;
    JSValue funcs[2], promise, err;
    int rc;

    if (!JS_IsString(argv[0]))
        return JS_ThrowTypeError(ctx, "The \"path\" argument must be a string");
    path = JS_ToCString(ctx, argv[0]);
    if (!path)
        return JS_EXCEPTION;
    rc = qw__fs_check_path(qw, path, write, &resolved, &rule);
    if (rc == -1) {
        qw__send_denied(qw, qw->current_id, "filesystem", resolved ? resolved : path, rule);
        err = denied_error(ctx, path, resolved, rule);
        free(resolved);
        JS_FreeCString(ctx, path);
        return JS_Throw(ctx, err);
    }
    if (rc == -2) {
        int e = errno;
        if (path[0] != '/') {
            JS_FreeCString(ctx, path);
            return JS_ThrowTypeError(ctx, "fs paths must be absolute in bunbase-functions workers");
        }
        err = fs_error(ctx, -e, op_syscall[op], path);
        JS_FreeCString(ctx, path);
        return JS_Throw(ctx, err);
    }
    r = calloc(1, sizeof(*r));
    CHECK(r != NULL);
    r->qw = qw;
    r->generation = qw->generation;
    r->op = op;
    r->id = qw->current_id;
    r->path = resolved;
    r->js_path = strdup(path);
    JS_FreeCString(ctx, path);
    if (op == QW_FS_WRITE_FILE) {
        size_t len = 0;
        uint8_t *p = JS_GetUint8Array(ctx, &len, argv[1]);
        if (!p && JS_HasException(ctx)) {
            free_req(NULL, r);
            return JS_EXCEPTION;
        }
        r->data = malloc(len ? len : 1);
        CHECK(r->data != NULL);
        if (len)
            memcpy(r->data, p, len);
        r->len = len;
        r->flags = JS_ToBool(ctx, argv[2]) ? O_APPEND : 0;
    } else if (op == QW_FS_MKDIR) {
        r->recursive = JS_ToBool(ctx, argv[1]);
    } else if (op == QW_FS_RM) {
        r->recursive = JS_ToBool(ctx, argv[1]);
        r->force = JS_ToBool(ctx, argv[2]);
    }
    promise = JS_NewPromiseCapability(ctx, funcs);
    if (JS_IsException(promise)) {
        free_req(NULL, r);
        return promise;
    }
    r->resolve = funcs[0];
    r->reject = funcs[1];
    r->work.data = r;
    CHECK(uv_queue_work(&qw->loop, &r->work, on_work, on_after_work) == 0);
    qw->pending_fs++;
    return promise;
}

/* ---- the module ------------------------------------------------------------ */

static const char *const fs_exports[] = {"readFile", "writeFile", "readdir", "stat", "mkdir", "rm"};

static int fs_module_init(JSContext *ctx, JSModuleDef *m) {
    QWRuntime *qw = qw__get(ctx);
    size_t i;

    for (i = 0; i < QW_COUNTOF(fs_exports); i++)
        if (JS_SetModuleExport(ctx, m, fs_exports[i], JS_GetPropertyStr(ctx, qw->fs_api, fs_exports[i])))
            return -1;
    return JS_SetModuleExport(ctx, m, "default", JS_DupValue(ctx, qw->fs_api));
}

JSModuleDef *qw__fs_module(JSContext *ctx, const char *name) {
    JSModuleDef *m = JS_NewCModule(ctx, name, fs_module_init);
    size_t i;

    if (!m)
        return NULL;
    for (i = 0; i < QW_COUNTOF(fs_exports); i++)
        JS_AddModuleExport(ctx, m, fs_exports[i]);
    JS_AddModuleExport(ctx, m, "default");
    return m;
}

static const JSCFunctionListEntry fs_funcs[] = {
    JS_CFUNC_MAGIC_DEF("fsReadFile", 1, js_fs_op, QW_FS_READ_FILE),
    JS_CFUNC_MAGIC_DEF("fsWriteFile", 3, js_fs_op, QW_FS_WRITE_FILE),
    JS_CFUNC_MAGIC_DEF("fsReaddir", 1, js_fs_op, QW_FS_READDIR),
    JS_CFUNC_MAGIC_DEF("fsStat", 1, js_fs_op, QW_FS_STAT),
    JS_CFUNC_MAGIC_DEF("fsMkdir", 2, js_fs_op, QW_FS_MKDIR),
    JS_CFUNC_MAGIC_DEF("fsRm", 3, js_fs_op, QW_FS_RM),
};

/* The prelude is evaluated before the worker knows its profile, so it always
 * gets the functions; without allowFilesystem each call is refused
 * (qw__fs_check_path) and importing node:fs/promises fails (runtime.c). */
void qw__mod_fs_init(JSContext *ctx, JSValue ns) {
    JS_SetPropertyFunctionList(ctx, ns, fs_funcs, QW_COUNTOF(fs_funcs));
}

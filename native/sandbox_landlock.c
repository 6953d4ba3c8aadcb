/*
 * The Landlock layer: filesystem access by path hierarchy, TCP bind/connect
 * (ABI >= 4) and signal / abstract-socket scoping (ABI >= 6).
 *
 * The constants and structures are defined here rather than taken from
 * <linux/landlock.h>, because the build machines' headers (Debian 12:
 * linux-libc-dev 6.1) stop at ABI 2 while the kernels we run on speak ABI 7.
 * Values are the kernel's UAPI; they never change once released.
 */
#define _GNU_SOURCE
#include "sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

#define QW_LL_CREATE_RULESET_VERSION (1U << 0)
#define QW_LL_RULE_PATH_BENEATH 1
#define QW_LL_RESTRICT_SELF_LOG_SAME_EXEC_OFF (1U << 0) /* ABI 7 */

/* Filesystem rights, with the ABI that introduced each. */
#define QW_LL_FS_EXECUTE (1ULL << 0)
#define QW_LL_FS_WRITE_FILE (1ULL << 1)
#define QW_LL_FS_READ_FILE (1ULL << 2)
#define QW_LL_FS_READ_DIR (1ULL << 3)
#define QW_LL_FS_REMOVE_DIR (1ULL << 4)
#define QW_LL_FS_REMOVE_FILE (1ULL << 5)
#define QW_LL_FS_MAKE_CHAR (1ULL << 6)
#define QW_LL_FS_MAKE_DIR (1ULL << 7)
#define QW_LL_FS_MAKE_REG (1ULL << 8)
#define QW_LL_FS_MAKE_SOCK (1ULL << 9)
#define QW_LL_FS_MAKE_FIFO (1ULL << 10)
#define QW_LL_FS_MAKE_BLOCK (1ULL << 11)
#define QW_LL_FS_MAKE_SYM (1ULL << 12)
#define QW_LL_FS_REFER (1ULL << 13)     /* ABI 2 */
#define QW_LL_FS_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define QW_LL_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */

#define QW_LL_NET_BIND_TCP (1ULL << 0)    /* ABI 4 */
#define QW_LL_NET_CONNECT_TCP (1ULL << 1) /* ABI 4 */

#define QW_LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define QW_LL_SCOPE_SIGNAL (1ULL << 1)               /* ABI 6 */

/* Rights that make sense on a non-directory; the kernel rejects a rule on a
 * file that names any other. */
#define QW_LL_FS_FILE_RIGHTS \
    (QW_LL_FS_EXECUTE | QW_LL_FS_WRITE_FILE | QW_LL_FS_READ_FILE | QW_LL_FS_TRUNCATE | QW_LL_FS_IOCTL_DEV)

typedef struct QWLandlockRulesetAttr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
} QWLandlockRulesetAttr;

typedef struct __attribute__((packed)) QWLandlockPathBeneathAttr {
    uint64_t allowed_access;
    int32_t parent_fd;
} QWLandlockPathBeneathAttr;

static uint64_t handled_fs_for_abi(int abi) {
    uint64_t all = (QW_LL_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0..12 */
    if (abi >= 2)
        all |= QW_LL_FS_REFER;
    if (abi >= 3)
        all |= QW_LL_FS_TRUNCATE;
    if (abi >= 5)
        all |= QW_LL_FS_IOCTL_DEV;
    return all;
}

typedef struct QWRuleset {
    int fd;
    uint64_t handled;
    QWSandboxReport *report;
    int failed; /* a rule could not be added: the layer is in error */
} QWRuleset;

/* Grant `access` beneath `path` (or on it, if it is not a directory). Rights
 * the kernel does not handle are dropped; directory-only rights are dropped
 * for files. Opening with O_PATH follows symlinks, so the rule lands on the
 * real object, exactly where the kernel will check later accesses. `nofollow`
 * marks an entry found by listing a directory (add_all_but): a symlink there is
 * not followed, and an entry that has gone since the listing is skipped. */
static void add_path(QWRuleset *rs, const char *path, uint64_t access, int nofollow) {
    if (!path || path[0] != '/') {
        qw__sandbox_note(rs->report, "landlock: path must be absolute: %s", path ? path : "(null)");
        rs->failed = 1;
        return;
    }
    int fd = open(path, O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
    if (fd < 0 && nofollow && errno == ENOENT)
        return; /* a listed entry removed since readdir (another process's temp dir): no rule, no access */
    if (fd < 0) {
        qw__sandbox_note(rs->report, "landlock: %s: %s", path, strerror(errno));
        rs->failed = 1;
        return;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        qw__sandbox_note(rs->report, "landlock: %s: %s", path, strerror(errno));
        rs->failed = 1;
        close(fd);
        return;
    }
    if (S_ISLNK(st.st_mode)) { /* only with nofollow: skipped, the target has its own entry */
        close(fd);
        return;
    }
    access &= rs->handled;
    if (!S_ISDIR(st.st_mode))
        access &= QW_LL_FS_FILE_RIGHTS;
    if (access) {
        QWLandlockPathBeneathAttr attr = {.allowed_access = access, .parent_fd = fd};
        if (syscall(__NR_landlock_add_rule, rs->fd, QW_LL_RULE_PATH_BENEATH, &attr, 0) != 0) {
            qw__sandbox_note(rs->report, "landlock: rule for %s: %s", path, strerror(errno));
            rs->failed = 1;
        }
    }
    close(fd);
}

/* Is `path` the directory `dir` itself or inside it (separator boundary)? */
static int path_within(const char *path, const char *dir) {
    size_t n = strlen(dir);
    if (n == 1)
        return 1; /* "/" */
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* A path left out of a wider grant: `hidden` ones (/proc, /sys, /dev) get no
 * access at all, the others are read-only directories with a rule of their
 * own. */
typedef struct QWExclusion {
    char *path; /* canonical (realpath), owned */
    int hidden;
} QWExclusion;

/* Grants `access` to every entry of `dir` except the excluded paths. Where an
 * excluded path lies further down, the entry is split the same way instead of
 * being granted whole. Landlock rules only add access, so "all but" has to be
 * spelled out; and a grant on a directory covers everything beneath it, so a
 * read-only directory inside a read-write one must not be granted from above.
 * A split directory itself gets only `read` (nothing when a hidden path is
 * beneath it), so new entries cannot be created directly in it, nor removed
 * or renamed there (fail closed): its existing entries keep `access`. */
static void add_all_but(QWRuleset *rs, const char *dir, uint64_t access, uint64_t read,
                        const QWExclusion *excluded, size_t n_excluded, int depth) {
    int hidden_below = 0;
    for (size_t i = 0; i < n_excluded; i++)
        if (excluded[i].hidden && path_within(excluded[i].path, dir))
            hidden_below = 1;
    if (!hidden_below)
        add_path(rs, dir, read, 0);
    DIR *d = opendir(dir);
    if (!d) {
        qw__sandbox_note(rs->report, "landlock: cannot list %s: %s", dir, strerror(errno));
        rs->failed = 1;
        return;
    }
    struct dirent *e;
    char path[PATH_MAX];
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if (!strcmp(n, ".") || !strcmp(n, ".."))
            continue;
        if (snprintf(path, sizeof path, "%s/%s", strcmp(dir, "/") ? dir : "", n) >= (int)sizeof path)
            continue;
        int skip = 0, split = 0;
        for (size_t i = 0; i < n_excluded; i++) {
            if (!strcmp(path, excluded[i].path))
                skip = 1;
            else if (path_within(excluded[i].path, path))
                split = 1;
        }
        if (skip)
            continue;
        struct stat st;
        if (split && depth < 64 && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            add_all_but(rs, path, access, read, excluded, n_excluded, depth + 1);
        else
            add_path(rs, path, access, 1);
    }
    closedir(d);
}

/* Canonical forms of the read-only paths; entries that do not resolve are
 * left out (they get no rule either). The caller frees with free_exclusions. */
static QWExclusion *read_only_exclusions(const QWSandboxPolicy *policy, size_t extra, size_t *n) {
    QWExclusion *ex = calloc(policy->n_ro_paths + extra + 1, sizeof *ex);
    *n = 0;
    if (!ex)
        return NULL;
    for (size_t i = 0; i < policy->n_ro_paths; i++) {
        char *real = policy->ro_paths[i] ? realpath(policy->ro_paths[i], NULL) : NULL;
        if (real)
            ex[(*n)++] = (QWExclusion){.path = real, .hidden = 0};
    }
    return ex;
}

static void free_exclusions(QWExclusion *ex, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(ex[i].path);
    free(ex);
}

/* allow_filesystem with no list: everything except /proc, /sys, /dev, and
 * except the read-only directories, which get their own read-only rule. */
static void add_everything(QWRuleset *rs, uint64_t access, uint64_t read, const QWSandboxPolicy *policy) {
    static const char *const hidden[] = {"/proc", "/sys", "/dev"};
    size_t n;
    QWExclusion *ex = read_only_exclusions(policy, 3, &n);
    if (!ex) {
        qw__sandbox_note(rs->report, "landlock: out of memory");
        rs->failed = 1;
        return;
    }
    for (size_t i = 0; i < 3; i++) {
        ex[n].path = strdup(hidden[i]);
        ex[n].hidden = 1;
        if (ex[n].path)
            n++;
        else
            rs->failed = 1;
    }
    add_all_but(rs, "/", access, read, ex, n, 0);
    free_exclusions(ex, n);
}

/* One listed read-write directory. Read-only wins where the two overlap: a
 * read-write path at or inside a read-only one gets only the read-only rule,
 * and a read-only path inside it is split out of its grant. */
static void add_read_write(QWRuleset *rs, const char *path, uint64_t access, uint64_t read,
                           const QWSandboxPolicy *policy) {
    size_t n_ro, n_inside = 0;
    QWExclusion *ro = read_only_exclusions(policy, 0, &n_ro);
    char *real = realpath(path, NULL);
    if (!ro || !real) { /* a missing path: add_path notes it and fails closed */
        if (ro)
            free_exclusions(ro, n_ro);
        free(real);
        add_path(rs, path, access, 0);
        return;
    }
    int covered = 0;
    for (size_t i = 0; i < n_ro; i++) {
        if (path_within(real, ro[i].path))
            covered = 1;
        else if (path_within(ro[i].path, real)) {
            QWExclusion keep = ro[i];
            ro[i] = ro[n_inside];
            ro[n_inside++] = keep;
        }
    }
    if (!covered && n_inside == 0)
        add_path(rs, real, access, 0);
    else if (!covered)
        add_all_but(rs, real, access, read, ro, n_inside, 0);
    free_exclusions(ro, n_ro);
    free(real);
}

QWSandboxState qw__sandbox_landlock(const QWSandboxPolicy *policy, QWSandboxReport *report) {
    long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, QW_LL_CREATE_RULESET_VERSION);
    if (abi < 0) {
        int err = errno;
        if (err == ENOSYS || err == EOPNOTSUPP) {
            qw__sandbox_note(report, "landlock: %s",
                             err == ENOSYS ? "not built into this kernel" : "disabled at boot");
            return QW_SANDBOX_UNAVAILABLE;
        }
        qw__sandbox_note(report, "landlock: %s", strerror(err));
        return QW_SANDBOX_ERROR;
    }
    report->landlock_abi = (int)abi;

    QWLandlockRulesetAttr attr = {.handled_access_fs = handled_fs_for_abi((int)abi)};
    if (abi >= 4 && !policy->allow_network)
        attr.handled_access_net = QW_LL_NET_BIND_TCP | QW_LL_NET_CONNECT_TCP;
    if (abi >= 6)
        attr.scoped = QW_LL_SCOPE_ABSTRACT_UNIX_SOCKET | QW_LL_SCOPE_SIGNAL;
    /* Older kernels accept the larger struct as long as the fields they do not
     * know are zero, which the ABI checks above guarantee. */
    int fd = (int)syscall(__NR_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (fd < 0) {
        qw__sandbox_note(report, "landlock: create ruleset: %s", strerror(errno));
        return QW_SANDBOX_ERROR;
    }

    QWRuleset rs = {.fd = fd, .handled = attr.handled_access_fs, .report = report};
    const uint64_t read = QW_LL_FS_READ_FILE | QW_LL_FS_READ_DIR;
    /* Read-write directories get everything but execute: data is not code.
     * REFER lets files move between two granted directories. */
    const uint64_t rw = rs.handled & ~QW_LL_FS_EXECUTE;

    if (policy->allow_filesystem && policy->n_rw_paths == 0)
        add_everything(&rs, policy->allow_child_process ? rs.handled : rw, read, policy);
    for (size_t i = 0; i < policy->n_rw_paths; i++)
        add_read_write(&rs, policy->rw_paths[i], rw, read, policy);
    for (size_t i = 0; i < policy->n_ro_paths; i++)
        add_path(&rs, policy->ro_paths[i], read, 0);
    if (policy->workdir)
        add_path(&rs, policy->workdir, rw, 0);
    for (size_t i = 0; i < policy->n_runtime_paths; i++) {
        const QWSandboxPath *p = &policy->runtime_paths[i];
        uint64_t access = 0;
        if (p->access & QW_SANDBOX_READ)
            access |= read;
        if (p->access & QW_SANDBOX_EXEC)
            access |= QW_LL_FS_EXECUTE | read;
        if (p->access & QW_SANDBOX_WRITE)
            access |= QW_LL_FS_WRITE_FILE | QW_LL_FS_TRUNCATE;
        add_path(&rs, p->path, access, 0);
    }

    unsigned flags = 0;
    if (abi >= 7 && !policy->landlock_audit)
        flags |= QW_LL_RESTRICT_SELF_LOG_SAME_EXEC_OFF;
    /* Enforce even when a rule failed: a missing rule only removes access, so
     * this fails closed. The layer is still reported as an error. */
    long rc = syscall(__NR_landlock_restrict_self, fd, flags);
    int err = errno;
    close(fd);
    if (rc != 0) {
        qw__sandbox_note(report, "landlock: restrict self: %s", strerror(err));
        return QW_SANDBOX_ERROR;
    }
    report->landlock_scoped = attr.scoped != 0;
    return rs.failed ? QW_SANDBOX_ERROR : QW_SANDBOX_ON;
}

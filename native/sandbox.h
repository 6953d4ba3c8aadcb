/*
 * The OS fence around a worker process (Linux): a private network namespace,
 * rlimits, a private working directory, dropped capabilities, no_new_privs,
 * Landlock and a seccomp filter, applied to the calling process in that order
 * by qw_sandbox_apply(). Nothing here can be undone once applied, and
 * everything survives execve(), which is what lets bunbase-launcher fence
 * itself and then exec Bun.
 *
 * The library keeps no global state, never exits and never prints: every
 * failure is a return value plus the per-layer report. See docs/os-fence.md
 * for what each layer blocks and why the order is what it is.
 */
#ifndef QW_SANDBOX_H
#define QW_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

/* Access a runtime path needs. Bits, combinable. */
enum {
    QW_SANDBOX_READ = 1 << 0,  /* open for reading; list it if a directory */
    QW_SANDBOX_EXEC = 1 << 1,  /* execve() it (or files beneath it) */
    QW_SANDBOX_WRITE = 1 << 2, /* open an existing file for writing (e.g. /dev/null);
                                  never creates, removes or renames anything */
};

typedef struct QWSandboxPath {
    const char *path; /* absolute; resolved by the kernel (symlinks followed) */
    int access;       /* QW_SANDBOX_* bits */
} QWSandboxPath;

/*
 * What the worker may do. Zero-initialise it ({0}) and set what you need: the
 * zero value is the strictest fence (no files, no network, no children, no
 * rlimits beyond the defaults described below).
 *
 * Lifetime: every pointer (strings and arrays) is borrowed. It must stay valid
 * only for the duration of the qw_sandbox_apply() call; nothing is retained.
 * All paths must be absolute. A path that does not exist is an error, not a
 * silently skipped rule.
 */
typedef struct QWSandboxPolicy {
    /* Filesystem (Landlock). rw_paths, ro_paths, runtime_paths and workdir
     * are granted as listed, whatever allow_filesystem says; nothing else is
     * reachable. allow_filesystem with n_rw_paths == 0 adds every top-level
     * entry except /proc, /sys and /dev, read-write (the original "all paths"
     * semantics). The host passes no rw/ro paths when the profile forbids
     * files. Read-only wins where the two overlap: a read-only path inside a
     * read-write grant (or inside "everything") is split out of it, entry by
     * entry, and the split directories themselves become read-only (nothing
     * new can be created directly in them); a read-write path inside a
     * read-only one is only readable. */
    int allow_filesystem;
    const char *const *rw_paths; /* directories: read, write, create, remove */
    size_t n_rw_paths;
    const char *const *ro_paths; /* directories: read and list only */
    size_t n_ro_paths;
    /* What the runtime itself needs: its binary, ELF interpreter, libraries,
     * the bundle, /dev/null, /dev/urandom... Granted whatever allow_filesystem
     * says. */
    const QWSandboxPath *runtime_paths;
    size_t n_runtime_paths;

    /* Processes. false: fork/vfork/clone (without CLONE_THREAD) and
     * execve/execveat fail with EPERM; signals only to the caller itself. */
    int allow_child_process;
    /* When allow_child_process is false, execve() is still allowed if its
     * filename argument is this exact pointer (identity, not string equality).
     * bunbase-launcher passes the pointer it is about to hand to execve(); after
     * that exec the address space is new. NULL: no exception. Landlock still
     * decides which files are executable (QW_SANDBOX_EXEC). */
    const char *exec_filename;

    /* Network. false: a private network namespace (only a down loopback) and
     * Landlock TCP bind/connect denied (ABI >= 4). */
    int allow_network;
    /* Sockets. socket() is refused for every family, whatever allow_network
     * says, because network goes through the host; set this to allow every
     * family (the namespace and Landlock still apply). socketpair() is always
     * allowed. */
    int allow_inet_sockets;
    /* socket(AF_UNIX) itself. Off by default: Landlock (up to ABI 7) does not
     * cover connect() to a pathname socket, so /run/docker.sock and friends are
     * reachable by anyone who can create one. socketpair() is unaffected. */
    int allow_unix_sockets;

    /* rlimits; 0 means "leave as inherited" for each field. */
    uint64_t max_fds;             /* RLIMIT_NOFILE, soft = hard */
    uint64_t cpu_seconds;         /* RLIMIT_CPU: SIGXCPU at N, SIGKILL at N+1 */
    uint64_t address_space_bytes; /* RLIMIT_AS: sound for QuickJS, NOT for Bun
                                     (JSC reserves tens of GB of address space) */
    uint64_t data_bytes;          /* RLIMIT_DATA: private writable mappings */
    uint64_t file_size_bytes;     /* RLIMIT_FSIZE */
    /* RLIMIT_NPROC. Counts every process AND thread of the real uid (the
     * host's included) and does not apply to root at all, so it is a coarse
     * backstop at best; seccomp is the barrier. 0: not set. */
    uint64_t max_processes;
    /* Core dumps are always disabled (RLIMIT_CORE = 0) when any rlimit layer
     * runs; there is no switch. */

    /* chdir() here before anything else is restricted. Granted read-write
     * automatically. Should be a fresh empty directory (e.g. mkdtemp). NULL:
     * stay where we are (and gain no access to it). */
    const char *workdir;

    /* The network namespace layer was already applied by
     * qw_sandbox_apply_netns() on the very report handed to qw_sandbox_apply(),
     * which keeps that layer's state and notes and makes no second namespace.
     * Only for a policy without allow_network. */
    int netns_applied;

    /* Keep Landlock audit records for denials in this program (ABI >= 7).
     * Default off: hostile code would flood the audit log. */
    int landlock_audit;
} QWSandboxPolicy;

typedef enum QWSandboxState {
    QW_SANDBOX_OFF = 0,     /* not requested by the policy */
    QW_SANDBOX_ON,          /* applied */
    QW_SANDBOX_UNAVAILABLE, /* the kernel lacks it; not an error by itself */
    QW_SANDBOX_ERROR,       /* requested and the kernel supports it, but it failed */
} QWSandboxState;

#define QW_SANDBOX_REASON_MAX 256

typedef struct QWSandboxReport {
    QWSandboxState netns;
    QWSandboxState rlimits;
    QWSandboxState capabilities; /* all capabilities dropped, bounding set too */
    QWSandboxState no_new_privs;
    QWSandboxState landlock;
    QWSandboxState seccomp;
    int landlock_abi;    /* 0 when Landlock is unavailable */
    int landlock_scoped; /* signal and abstract-socket scoping in force (ABI >= 6) */
    /* Short human-readable notes, "; "-separated, truncated to fit. Empty when
     * every layer is on. */
    char reason[QW_SANDBOX_REASON_MAX];
} QWSandboxReport;

/*
 * Fence the calling process. Must be called while it has exactly one thread
 * (unsharing a user namespace and Landlock both require it; libuv's thread pool
 * starts lazily, so call this before the first uv_queue_work / uv_fs_* /
 * uv_getaddrinfo). Fills *report (always, even on failure).
 *
 * Returns 0 when no layer is in QW_SANDBOX_ERROR (UNAVAILABLE layers are
 * reported, and the caller decides whether that is acceptable), -1 otherwise.
 * After an error the remaining layers are still applied: the process ends up
 * as fenced as possible, and should not run untrusted code anyway.
 */
int qw_sandbox_apply(const QWSandboxPolicy *policy, QWSandboxReport *report);

/*
 * The network namespace layer alone, ahead of the others: a forked worker
 * makes its private namespace before it knows its pool, while the host is
 * still sending init, since creating one costs about half a millisecond.
 * Same single-thread rule as qw_sandbox_apply(). Zeroes *report, then sets
 * report->netns (and notes); pass the same report to qw_sandbox_apply() with
 * policy.netns_applied set. Returns report->netns.
 */
QWSandboxState qw_sandbox_apply_netns(QWSandboxReport *report);

/* "on", "off", "unavailable" or "error". */
const char *qw_sandbox_state_name(QWSandboxState state);

/*
 * Render the report as one JSON object (no newline), e.g.
 * {"landlock":"on","landlockAbi":7,"seccomp":"on","rlimits":"on","netns":"on",
 *  "noNewPrivs":"on","capabilities":"on"} plus "reason" when it is not empty.
 * Returns the length written (excluding the NUL), or -1 if buf is too small
 * (QW_SANDBOX_JSON_MAX bytes always suffice).
 */
#define QW_SANDBOX_JSON_MAX (256 + 6 * QW_SANDBOX_REASON_MAX)
int qw_sandbox_report_json(const QWSandboxReport *report, char *buf, size_t len);

/* Nonzero when every layer is ON or OFF (nothing unavailable, nothing failed). */
int qw_sandbox_report_complete(const QWSandboxReport *report);

/*
 * Internal: one function per layer, split across native/sandbox_*.c. Each
 * returns the layer's state and appends to report->reason on trouble. Not for
 * callers outside the sandbox files.
 */
QWSandboxState qw__sandbox_landlock(const QWSandboxPolicy *policy, QWSandboxReport *report);
QWSandboxState qw__sandbox_seccomp(const QWSandboxPolicy *policy, QWSandboxReport *report);
void qw__sandbox_note(QWSandboxReport *report, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* QW_SANDBOX_H */

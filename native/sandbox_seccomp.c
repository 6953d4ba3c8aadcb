/*
 * The seccomp layer: a classic-BPF deny list, installed last (it would
 * otherwise have to allow the very calls that set up the other layers).
 *
 * Denials return an errno instead of killing, so a runtime that probes a
 * feature (io_uring, clone3, a socket family) fails cleanly and falls back.
 * Only a foreign architecture or an x32 system call kills the process: no
 * legitimate x86_64 runtime makes one, and the syscall numbers below mean
 * something else there.
 */
#define _GNU_SOURCE
#include "sandbox.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <unistd.h>

#if defined(__x86_64__)

/* Newer than the Debian 12 headers (linux-libc-dev 6.1). */
#ifndef __NR_statmount
#define __NR_statmount 457
#endif
#ifndef __NR_listmount
#define __NR_listmount 458
#endif
/* The highest system call number this filter knows about (mseal). Anything
 * above is refused with ENOSYS, so a syscall added by a future kernel is not
 * silently allowed by a deny list that predates it. */
#define QW_MAX_KNOWN_NR 462

#define QW_X32_SYSCALL_BIT 0x40000000U

#define QW_CLONE_NAMESPACES                                                                       \
    (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
     CLONE_NEWNET)

#define QW_PROG_MAX 512

/* seccomp_data on a little-endian machine: the low half of argument i is at
 * args[i], the high half 4 bytes further. */
#define QW_ARG_LO(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i)))
#define QW_ARG_HI(i) (QW_ARG_LO(i) + 4)

typedef struct QWBpf {
    struct sock_filter insn[QW_PROG_MAX];
    size_t len;
    int overflow;
} QWBpf;

static void emit(QWBpf *b, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k) {
    if (b->len >= QW_PROG_MAX) {
        b->overflow = 1;
        return;
    }
    b->insn[b->len++] = (struct sock_filter){code, jt, jf, k};
}

static void emit_ret(QWBpf *b, uint32_t action) {
    emit(b, BPF_RET | BPF_K, 0, 0, action);
}

static void emit_load(QWBpf *b, uint32_t offset) {
    emit(b, BPF_LD | BPF_W | BPF_ABS, 0, 0, offset);
}

static uint32_t ret_errno(int err) {
    return SECCOMP_RET_ERRNO | ((uint32_t)err & SECCOMP_RET_DATA);
}

/* A block handles one syscall number and always ends in a return; when the
 * number does not match, the conditional jump skips the whole block with the
 * number still in the accumulator. Blocks are short, so the 8-bit jump offset
 * always fits (checked). */
static size_t block_begin(QWBpf *b, int nr) {
    size_t at = b->len;
    emit(b, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, (uint32_t)nr);
    return at;
}

static void block_end(QWBpf *b, size_t at) {
    if (b->overflow)
        return;
    size_t skip = b->len - at - 1;
    if (skip > 255) {
        b->overflow = 1;
        return;
    }
    b->insn[at].jf = (uint8_t)skip;
}

static void deny(QWBpf *b, int nr, int err) {
    size_t at = block_begin(b, nr);
    emit_ret(b, ret_errno(err));
    block_end(b, at);
}

/*
 * Allow the call when the low 32 bits of argument `arg` are one of `values`,
 * otherwise fail with `err`. Only the low half is compared on purpose: every
 * argument checked this way is an int in the kernel's prototype (pid_t, int
 * domain, unsigned int cmd), and the syscall wrappers truncate the register to
 * it (__se_sys_kill casts to pid_t), so the high half never reaches the kernel
 * and must not be able to make a value look different to us than to it.
 */
static void allow_if_arg_in(QWBpf *b, int nr, int arg, const uint32_t *values, size_t n, int err) {
    size_t at = block_begin(b, nr);
    emit_load(b, QW_ARG_LO(arg));
    for (size_t i = 0; i < n; i++)
        emit(b, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(n - i), 0, values[i]);
    emit_ret(b, ret_errno(err));
    emit_ret(b, SECCOMP_RET_ALLOW);
    block_end(b, at);
}

/* The mirror image: fail with `err` when the low half of `arg` is one of
 * `values`, allow otherwise. */
static void deny_if_arg_in(QWBpf *b, int nr, int arg, const uint32_t *values, size_t n, int err) {
    size_t at = block_begin(b, nr);
    emit_load(b, QW_ARG_LO(arg));
    for (size_t i = 0; i < n; i++)
        emit(b, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(n - i), 0, values[i]);
    emit_ret(b, SECCOMP_RET_ALLOW);
    emit_ret(b, ret_errno(err));
    block_end(b, at);
}

/* execve() only with exactly this filename pointer; all 64 bits compared,
 * since a pointer is a full register. */
static void allow_exec_pointer(QWBpf *b, const char *filename) {
    uint64_t p = (uint64_t)(uintptr_t)filename;
    size_t at = block_begin(b, __NR_execve);
    emit_load(b, QW_ARG_LO(0));
    emit(b, BPF_JMP | BPF_JEQ | BPF_K, 0, 2, (uint32_t)p);
    emit_load(b, QW_ARG_HI(0));
    emit(b, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, (uint32_t)(p >> 32));
    emit_ret(b, ret_errno(EPERM));
    emit_ret(b, SECCOMP_RET_ALLOW);
    block_end(b, at);
}

/* Allow when argument `a` equals `value` and the low half of argument `c` is
 * one of `values`; fail with EPERM otherwise. */
static void allow_if_arg_eq_and_in(QWBpf *b, int nr, int a, uint32_t value, int c, const uint32_t *values,
                                   size_t n) {
    size_t at = block_begin(b, nr);
    emit_load(b, QW_ARG_LO(a));
    emit(b, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)(n + 1), value);
    emit_load(b, QW_ARG_LO(c));
    for (size_t i = 0; i < n; i++)
        emit(b, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(n - i), 0, values[i]);
    emit_ret(b, ret_errno(EPERM));
    emit_ret(b, SECCOMP_RET_ALLOW);
    block_end(b, at);
}

/* prlimit64(pid, resource, new, old): changing another process's limits needs
 * nothing but the same uid, and would let a worker starve the host (say
 * RLIMIT_NOFILE = 0). Reading them (new == NULL) is harmless. */
static void prlimit_rule(QWBpf *b, uint32_t pid) {
    size_t at = block_begin(b, __NR_prlimit64);
    emit_load(b, QW_ARG_LO(0));
    emit(b, BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 0);
    emit(b, BPF_JMP | BPF_JEQ | BPF_K, 5, 0, pid);
    emit_load(b, QW_ARG_LO(2));
    emit(b, BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0);
    emit_load(b, QW_ARG_HI(2));
    emit(b, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0);
    emit_ret(b, ret_errno(EPERM));
    emit_ret(b, SECCOMP_RET_ALLOW);
    block_end(b, at);
}

static void clone_rule(QWBpf *b, int allow_child) {
    size_t at = block_begin(b, __NR_clone);
    /* clone()'s flags are the low 32 bits of the first argument (the kernel
     * takes lower_32_bits(clone_flags)). New namespaces are refused even to
     * threads: inside our user namespace we would hold every capability. */
    emit_load(b, QW_ARG_LO(0));
    emit(b, BPF_JMP | BPF_JSET | BPF_K, 0, 1, QW_CLONE_NAMESPACES);
    emit_ret(b, ret_errno(EPERM));
    if (!allow_child) {
        emit(b, BPF_JMP | BPF_JSET | BPF_K, 1, 0, CLONE_THREAD);
        emit_ret(b, ret_errno(EPERM));
    }
    emit_ret(b, SECCOMP_RET_ALLOW);
    block_end(b, at);
}

static void build(QWBpf *b, const QWSandboxPolicy *policy, const QWSandboxReport *report) {
    /* Architecture first: syscall numbers are only meaningful for one ABI. */
    emit_load(b, offsetof(struct seccomp_data, arch));
    emit(b, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64);
    emit_ret(b, SECCOMP_RET_KILL_PROCESS);
    emit_load(b, offsetof(struct seccomp_data, nr));
    emit(b, BPF_JMP | BPF_JGE | BPF_K, 0, 1, QW_X32_SYSCALL_BIT);
    emit_ret(b, SECCOMP_RET_KILL_PROCESS);
    emit(b, BPF_JMP | BPF_JGT | BPF_K, 0, 1, QW_MAX_KNOWN_NR);
    emit_ret(b, ret_errno(ENOSYS));

    /* Processes. clone3 passes its flags in memory, which BPF cannot read:
     * ENOSYS makes glibc fall back to clone(), whose flags we can inspect. */
    deny(b, __NR_clone3, ENOSYS);
    clone_rule(b, policy->allow_child_process);
    if (!policy->allow_child_process) {
        deny(b, __NR_fork, EPERM);
        deny(b, __NR_vfork, EPERM);
        deny(b, __NR_execveat, EPERM);
        if (policy->exec_filename)
            allow_exec_pointer(b, policy->exec_filename);
        else
            deny(b, __NR_execve, EPERM);
    }

    /* Signals. With children allowed and Landlock's signal scope in force the
     * kernel already confines signals to our own domain (us and our
     * descendants); otherwise only ourselves, or our own process group, which
     * qw_sandbox_apply made ours alone with setpgid(). */
    if (!(policy->allow_child_process && report->landlock_scoped)) {
        pid_t pid = getpid();
        uint32_t self[3];
        size_t n_self = 0;
        self[n_self++] = (uint32_t)pid;
        if (getpgrp() == pid) {
            self[n_self++] = 0;
            self[n_self++] = (uint32_t)-pid;
        }
        allow_if_arg_in(b, __NR_kill, 0, self, n_self, EPERM);
        /* tkill takes a thread id; only the main thread's equals the pid. */
        allow_if_arg_in(b, __NR_tkill, 0, self, 1, EPERM);
        allow_if_arg_in(b, __NR_tgkill, 0, self, 1, EPERM);
        allow_if_arg_in(b, __NR_rt_sigqueueinfo, 0, self, 1, EPERM);
        allow_if_arg_in(b, __NR_rt_tgsigqueueinfo, 0, self, 1, EPERM);
        /* A pidfd can name any process, and BPF cannot see what it names. */
        deny(b, __NR_pidfd_send_signal, EPERM);
    }

    /* Other processes of the same uid (the host, other tenants' workers, when
     * they share our uid) can be reniced, re-pinned, moved or have their
     * limits changed without any capability, and Landlock does not scope
     * these calls. Only ourselves (pid 0 or our pid) here. Threads of our own
     * cannot be targeted by tid either: runtimes treat that as best effort. */
    {
        const uint32_t me[] = {0, (uint32_t)getpid()};
        prlimit_rule(b, me[1]);
        allow_if_arg_eq_and_in(b, __NR_setpriority, 0, 0 /* PRIO_PROCESS */, 1, me, 2);
        allow_if_arg_eq_and_in(b, __NR_ioprio_set, 0, 1 /* IOPRIO_WHO_PROCESS */, 1, me, 2);
        const int own_pid_only[] = {__NR_sched_setaffinity, __NR_sched_setscheduler, __NR_sched_setparam,
                                    __NR_sched_setattr,     __NR_migrate_pages,      __NR_move_pages,
                                    __NR_get_robust_list};
        for (size_t i = 0; i < sizeof own_pid_only / sizeof own_pid_only[0]; i++)
            allow_if_arg_in(b, own_pid_only[i], 0, me, 2, EPERM);
        /* We share the host's session (qw_sandbox_apply), where setpgid could
         * move us into the host's process group, which kill(0, …) would then
         * reach. Only setpgid(pid, 0), a group named after the process itself. */
        const uint32_t own_group[] = {0};
        allow_if_arg_in(b, __NR_setpgid, 1, own_group, 1, EPERM);
    }

    /* Sockets: the host channel is already open and network goes through the
     * host, so new sockets are not needed. socketpair() stays allowed. */
    if (!policy->allow_inet_sockets) {
        if (policy->allow_unix_sockets) {
            const uint32_t unix_only[] = {AF_UNIX};
            allow_if_arg_in(b, __NR_socket, 0, unix_only, 1, EPERM);
        } else {
            deny(b, __NR_socket, EPERM);
        }
    }

    /* Terminal injection: pushing characters into a shared tty's input queue
     * runs commands as whoever reads that tty (the bubblewrap CVE-2017-5226
     * class). */
    const uint32_t tty_inject[] = {TIOCSTI, TIOCLINUX};
    deny_if_arg_in(b, __NR_ioctl, 1, tty_inject, 2, EPERM);

    const uint32_t personality_ok[] = {0, 0xffffffffU};
    allow_if_arg_in(b, __NR_personality, 0, personality_ok, 2, EPERM);

    /* io_uring performs its operations in kernel threads that seccomp never
     * sees; ENOSYS makes libuv and friends fall back to plain syscalls. */
    deny(b, __NR_io_uring_setup, ENOSYS);
    deny(b, __NR_io_uring_enter, ENOSYS);
    deny(b, __NR_io_uring_register, ENOSYS);

    /* Metadata by path. Landlock (up to ABI 7) mediates opening, creating,
     * removing, renaming and truncating, but not chmod, chown, utimes or
     * extended attributes: a worker sharing the host's uid could chmod 000
     * the host's files, or 0777 its secrets, anywhere on the system. The
     * descriptor-based forms (fchmod, fchown, futimens, fsetxattr) stay:
     * their descriptor already passed Landlock. */
    {
        size_t at = block_begin(b, __NR_utimensat); /* utimensat(fd, NULL, ...) is futimens */
        emit_load(b, QW_ARG_LO(1));
        emit(b, BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0);
        emit_load(b, QW_ARG_HI(1));
        emit(b, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0);
        emit_ret(b, ret_errno(EPERM));
        emit_ret(b, SECCOMP_RET_ALLOW);
        block_end(b, at);
    }

    /* Grouped by reason, so clang-format is kept off the table. */
    /* clang-format off */
    static const int denied[] = {
        /* metadata by path (see above); fchmodat2 is 452 */
        __NR_chmod, __NR_fchmodat, 452, __NR_chown, __NR_lchown, __NR_fchownat, __NR_utime,
        __NR_utimes, __NR_futimesat, __NR_setxattr, __NR_lsetxattr, __NR_removexattr,
        __NR_lremovexattr,
        /* System V IPC and POSIX message queues: keyed by numbers and names,
         * not paths, so Landlock never sees them, and shared with every
         * process of the uid in the IPC namespace: a channel between tenants */
        __NR_shmget, __NR_shmat, __NR_shmctl, __NR_semget, __NR_semop, __NR_semctl,
        __NR_semtimedop, __NR_msgget, __NR_msgsnd, __NR_msgrcv, __NR_msgctl, __NR_mq_open,
        __NR_mq_unlink, __NR_mq_timedsend, __NR_mq_timedreceive, __NR_mq_notify,
        __NR_mq_getsetattr,
        /* other processes' memory and descriptors */
        __NR_ptrace, __NR_process_vm_readv, __NR_process_vm_writev, __NR_pidfd_getfd,
        __NR_process_madvise, __NR_kcmp,
        /* namespaces and mounts (after our own unshare) */
        __NR_unshare, __NR_setns, __NR_mount, __NR_umount2, __NR_pivot_root, __NR_chroot,
        __NR_open_tree, __NR_move_mount, __NR_fsopen, __NR_fsconfig, __NR_fsmount,
        __NR_fspick, __NR_mount_setattr, __NR_statmount, __NR_listmount,
        /* handles that bypass path checks */
        __NR_open_by_handle_at, __NR_name_to_handle_at,
        /* kernel attack surface an application has no use for */
        __NR_keyctl, __NR_add_key, __NR_request_key, __NR_bpf, __NR_perf_event_open,
        __NR_userfaultfd, __NR_fanotify_init, __NR_kexec_load, __NR_kexec_file_load,
        __NR_init_module, __NR_finit_module, __NR_delete_module, __NR_reboot, __NR_swapon,
        __NR_swapoff, __NR_syslog, __NR_acct, __NR_quotactl, __NR_quotactl_fd, __NR_iopl,
        __NR_ioperm, __NR_uselib, __NR_vhangup, __NR_lookup_dcookie,
    };
    /* clang-format on */
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++)
        deny(b, denied[i], EPERM);

    emit_ret(b, SECCOMP_RET_ALLOW);
}

QWSandboxState qw__sandbox_seccomp(const QWSandboxPolicy *policy, QWSandboxReport *report) {
    QWBpf *b = &(QWBpf){.len = 0};
    build(b, policy, report);
    if (b->overflow) {
        qw__sandbox_note(report, "seccomp: filter too long");
        return QW_SANDBOX_ERROR;
    }
    struct sock_fprog prog = {.len = (unsigned short)b->len, .filter = b->insn};
    /* TSYNC: every thread gets the filter, not only the caller. */
    if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) == 0)
        return QW_SANDBOX_ON;
    int err = errno;
    if (err == ENOSYS || err == EINVAL) {
        /* Pre-3.17 kernels have no seccomp() (nor TSYNC): the prctl path
         * filters only this thread, which is all there is (checked). */
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0)
            return QW_SANDBOX_ON;
        err = errno;
        if (err == EINVAL) {
            qw__sandbox_note(report, "seccomp: not supported by this kernel");
            return QW_SANDBOX_UNAVAILABLE;
        }
    }
    qw__sandbox_note(report, "seccomp: %s", strerror(err));
    return QW_SANDBOX_ERROR;
}

#else /* !__x86_64__ */

QWSandboxState qw__sandbox_seccomp(const QWSandboxPolicy *policy, QWSandboxReport *report) {
    (void)policy;
    qw__sandbox_note(report, "seccomp: no filter for this architecture (x86_64 only)");
    return QW_SANDBOX_UNAVAILABLE;
}

#endif

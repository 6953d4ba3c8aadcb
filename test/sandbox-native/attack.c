/*
 * One attack per invocation: `attack NAME [ARGS...]`.
 *
 * Exit status: 0 the attack succeeded (an escape, when run inside the fence;
 * the positive control, when run outside), 1 it was refused, 2 the test
 * itself is broken (bad arguments, unexpected setup failure). Some attacks
 * are expected to end in a signal instead (x32, CPU limit); the script checks.
 *
 * `attack --fence-self RW RO WORKDIR NAME [ARGS...]` applies the fence through
 * the library API first, the way the QuickJS worker will, instead of relying
 * on bunbase-launcher.
 */
#define _GNU_SOURCE
#include "../../native/sandbox.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/xattr.h>
#include <sys/resource.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define ESCAPED 0
#define REFUSED 1
#define BROKEN 2

static int refused(const char *what) {
    printf("refused: %s: %s\n", what, strerror(errno));
    return REFUSED;
}

static int escaped(const char *what) {
    printf("ESCAPED: %s\n", what);
    return ESCAPED;
}

/* An open() that counts as an escape when it succeeds. */
static int try_open(const char *path, int flags) {
    int fd = open(path, flags | O_CLOEXEC, 0600);
    if (fd < 0)
        return refused(path);
    if (flags & (O_WRONLY | O_RDWR)) {
        if (write(fd, "x", 1) != 1) {
            close(fd);
            return refused("write");
        }
    } else {
        char c;
        if (read(fd, &c, 1) < 0 && errno != EISDIR) {
            close(fd);
            return refused("read");
        }
    }
    close(fd);
    return escaped(path);
}

static int wait_child(pid_t pid) {
    int st;
    if (waitpid(pid, &st, 0) < 0)
        return BROKEN;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? ESCAPED : REFUSED;
}

static void *thread_main(void *arg) {
    return arg;
}

static int connect_tcp(int family, const char *addr, int port) {
    int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return refused("socket");
    int rc;
    if (family == AF_INET) {
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        inet_pton(AF_INET, addr, &sa.sin_addr);
        rc = connect(s, (struct sockaddr *)&sa, sizeof sa);
    } else {
        struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
        inet_pton(AF_INET6, addr, &sa.sin6_addr);
        rc = connect(s, (struct sockaddr *)&sa, sizeof sa);
    }
    if (rc != 0) {
        close(s);
        return refused("connect");
    }
    close(s);
    return escaped("connect");
}

static int run(int argc, char **argv) {
    if (argc < 1)
        return BROKEN;
    const char *name = argv[0];
    const char *arg = argc > 1 ? argv[1] : NULL;

    if (!strcmp(name, "noop"))
        return ESCAPED;
    if (!strcmp(name, "read") && arg) /* read a file */
        return try_open(arg, O_RDONLY);
    if (!strcmp(name, "write") && arg) /* create or overwrite a file */
        return try_open(arg, O_WRONLY | O_CREAT | O_TRUNC);
    if (!strcmp(name, "mkdir") && arg)
        return mkdir(arg, 0700) == 0 ? escaped("mkdir") : refused("mkdir");
    if (!strcmp(name, "symlink-escape") && arg) {
        /* Plant a link inside a writable directory, then go through it. */
        char link[4096];
        snprintf(link, sizeof link, "%s/to-etc", arg);
        unlink(link);
        if (symlink("/etc", link) != 0)
            return refused("symlink");
        snprintf(link, sizeof link, "%s/to-etc/passwd", arg);
        return try_open(link, O_RDONLY);
    }
    if (!strcmp(name, "dotdot-escape") && arg) {
        char path[4096];
        snprintf(path, sizeof path, "%s/../../../../../../../etc/passwd", arg);
        return try_open(path, O_RDONLY);
    }
    if (!strcmp(name, "fork")) {
        pid_t pid = fork();
        if (pid < 0)
            return refused("fork");
        if (pid == 0)
            _exit(0);
        return wait_child(pid) == ESCAPED ? escaped("fork") : REFUSED;
    }
    if (!strcmp(name, "vfork")) {
        pid_t pid = vfork();
        if (pid < 0)
            return refused("vfork");
        if (pid == 0)
            _exit(0);
        return wait_child(pid) == ESCAPED ? escaped("vfork") : REFUSED;
    }
    if (!strcmp(name, "clone3")) {
        /* A raw clone3 creating a process, bypassing glibc's fallback. */
        struct {
            uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
        } args = {.exit_signal = SIGCHLD};
        long pid = syscall(SYS_clone3, &args, sizeof args);
        if (pid < 0)
            return refused("clone3");
        if (pid == 0)
            _exit(0);
        return wait_child((pid_t)pid) == ESCAPED ? escaped("clone3") : REFUSED;
    }
    if (!strcmp(name, "spawn") && arg) { /* posix_spawn a program */
        pid_t pid;
        char *args[] = {(char *)arg, "noop", NULL};
        int err = posix_spawn(&pid, arg, NULL, NULL, args, environ);
        if (err) {
            errno = err;
            return refused("posix_spawn");
        }
        return wait_child(pid) == ESCAPED ? escaped("posix_spawn") : refused("child failed");
    }
    if (!strcmp(name, "exec") && arg) { /* replace ourselves with `arg noop` */
        char *args[] = {(char *)arg, "noop", NULL};
        execve(arg, args, environ);
        return refused("execve");
    }
    if (!strcmp(name, "execveat") && arg) {
        char *args[] = {(char *)arg, "noop", NULL};
        syscall(SYS_execveat, AT_FDCWD, arg, args, environ, 0);
        return refused("execveat");
    }
    if (!strcmp(name, "threads")) { /* must keep working inside the fence */
        pthread_t t[8];
        for (int i = 0; i < 8; i++)
            if ((errno = pthread_create(&t[i], NULL, thread_main, NULL)) != 0)
                return refused("pthread_create");
        for (int i = 0; i < 8; i++)
            pthread_join(t[i], NULL);
        return escaped("8 threads");
    }
    if (!strcmp(name, "socket") && arg) {
        int family = !strcmp(arg, "inet")      ? AF_INET
                     : !strcmp(arg, "inet6")   ? AF_INET6
                     : !strcmp(arg, "unix")    ? AF_UNIX
                     : !strcmp(arg, "netlink") ? AF_NETLINK
                     : !strcmp(arg, "packet")  ? AF_PACKET
                                               : -1;
        if (family < 0)
            return BROKEN;
        int type = family == AF_PACKET || family == AF_NETLINK ? SOCK_RAW : SOCK_STREAM;
        int s = socket(family, type | SOCK_CLOEXEC, 0);
        if (s < 0)
            return refused("socket");
        close(s);
        return escaped("socket");
    }
    if (!strcmp(name, "socket-hibits")) {
        /* AF_INET with garbage in the upper half of the register: the kernel
         * only sees the low 32 bits, so this must be refused too. */
        long s = syscall(SYS_socket, 0x100000000L | AF_INET, SOCK_STREAM, 0);
        if (s < 0)
            return refused("socket");
        close((int)s);
        return escaped("socket with high bits");
    }
    if (!strcmp(name, "socketpair")) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
            return refused("socketpair");
        close(sv[0]);
        close(sv[1]);
        return escaped("socketpair");
    }
    if (!strcmp(name, "connect4") && arg)
        return connect_tcp(AF_INET, "127.0.0.1", atoi(arg));
    if (!strcmp(name, "connect6") && arg)
        return connect_tcp(AF_INET6, "::1", atoi(arg));
    if (!strcmp(name, "bind4")) {
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0)
            return refused("socket");
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int rc = bind(s, (struct sockaddr *)&sa, sizeof sa);
        rc = rc == 0 ? listen(s, 1) : rc;
        close(s);
        return rc == 0 ? escaped("bind+listen") : refused("bind");
    }
    if (!strcmp(name, "unix-connect") && arg) { /* pathname or @abstract */
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0)
            return refused("socket");
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        socklen_t len;
        if (arg[0] == '@') {
            /* NUL-padded to the full size, the way libuv (Node) binds it. */
            strncpy(sa.sun_path + 1, arg + 1, sizeof sa.sun_path - 2);
        } else {
            strncpy(sa.sun_path, arg, sizeof sa.sun_path - 1);
        }
        len = sizeof sa;
        int rc = connect(s, (struct sockaddr *)&sa, len);
        close(s);
        return rc == 0 ? escaped("unix connect") : refused("unix connect");
    }
    if (!strcmp(name, "ptrace")) {
        if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
            return refused("ptrace");
        return escaped("ptrace");
    }
    if (!strcmp(name, "process-vm-readv")) {
        char src[8] = "secret", dst[8] = {0};
        struct iovec l = {dst, sizeof dst}, r = {src, sizeof src};
        if (process_vm_readv(getpid(), &l, 1, &r, 1, 0) < 0)
            return refused("process_vm_readv");
        return escaped("process_vm_readv");
    }
    if (!strcmp(name, "kill") && argc > 2) { /* kill PID SIG */
        if (kill((pid_t)atoi(arg), atoi(argv[2])) != 0)
            return refused("kill");
        return escaped("kill");
    }
    if (!strcmp(name, "kill-parent")) { /* kill-parent [SIG], default 0 */
        if (kill(getppid(), arg ? atoi(arg) : 0) != 0)
            return refused("kill(getppid())");
        return escaped("kill(getppid())");
    }
    if (!strcmp(name, "kill-hibits")) {
        /* kill(1, 0) with the pid's upper half set: must not slip through a
         * check on the full 64-bit value. */
        if (syscall(SYS_kill, 0xffffffff00000001L, 0) != 0)
            return refused("kill(hi|1, 0)");
        return escaped("kill(hi|1, 0)");
    }
    if (!strcmp(name, "tgkill-init")) {
        if (syscall(SYS_tgkill, 1, 1, 0) != 0)
            return refused("tgkill(1, 1, 0)");
        return escaped("tgkill(1, 1, 0)");
    }
    if (!strcmp(name, "kill-self")) { /* must keep working */
        if (kill(getpid(), 0) != 0 || raise(0) != 0)
            return refused("kill self");
        return escaped("kill self");
    }
    /* Same-uid interference with the parent, each a harmless write (the value
     * it already has), so the unfenced control changes nothing. */
    if (!strcmp(name, "prlimit-parent")) {
        struct rlimit cur;
        if (prlimit(getppid(), RLIMIT_NOFILE, NULL, &cur) != 0)
            return BROKEN;
        if (prlimit(getppid(), RLIMIT_NOFILE, &cur, NULL) != 0)
            return refused("prlimit(parent)");
        return escaped("prlimit(parent)");
    }
    if (!strcmp(name, "renice-parent")) {
        errno = 0;
        int nice = getpriority(PRIO_PROCESS, (id_t)getppid());
        if (errno)
            return BROKEN;
        if (setpriority(PRIO_PROCESS, (id_t)getppid(), nice) != 0)
            return refused("setpriority(parent)");
        return escaped("setpriority(parent)");
    }
    if (!strcmp(name, "affinity-parent")) {
        cpu_set_t set;
        if (sched_getaffinity(getppid(), sizeof set, &set) != 0)
            return BROKEN;
        if (sched_setaffinity(getppid(), sizeof set, &set) != 0)
            return refused("sched_setaffinity(parent)");
        return escaped("sched_setaffinity(parent)");
    }
    if (!strcmp(name, "self-limits")) { /* must keep working */
        struct rlimit cur;
        if (getrlimit(RLIMIT_NOFILE, &cur) != 0 || setrlimit(RLIMIT_NOFILE, &cur) != 0)
            return refused("setrlimit(self)");
        if (setpriority(PRIO_PROCESS, 0, 5) != 0)
            return refused("setpriority(self)");
        return escaped("own limits and priority");
    }
    if (!strcmp(name, "chmod") && arg) { /* harmless: sets the mode it already has */
        struct stat st;
        if (stat(arg, &st) != 0)
            return BROKEN;
        if (chmod(arg, st.st_mode & 07777) != 0)
            return refused("chmod");
        return escaped("chmod");
    }
    if (!strcmp(name, "utimes") && arg) { /* harmless: sets the times it already has */
        struct stat st;
        if (stat(arg, &st) != 0)
            return BROKEN;
        struct timespec ts[2] = {st.st_atim, st.st_mtim};
        if (utimensat(AT_FDCWD, arg, ts, 0) != 0)
            return refused("utimensat");
        return escaped("utimensat");
    }
    if (!strcmp(name, "setxattr") && arg) {
        if (setxattr(arg, "user.bunbase-fence-test", "x", 1, 0) != 0)
            return refused("setxattr");
        removexattr(arg, "user.bunbase-fence-test");
        return escaped("setxattr");
    }
    if (!strcmp(name, "fchmod-own") && arg) { /* must keep working on a granted file */
        int fd = open(arg, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            return refused("open");
        int rc = fchmod(fd, 0640);
        int rc2 = futimens(fd, NULL);
        close(fd);
        return rc == 0 && rc2 == 0 ? escaped("fchmod+futimens") : refused("fchmod/futimens");
    }
    if (!strcmp(name, "hardlink") && argc > 2) {
        if (link(arg, argv[2]) != 0)
            return refused("link");
        unlink(argv[2]);
        return escaped("link");
    }
    if (!strcmp(name, "sysv-shm")) {
        int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
        if (id < 0)
            return refused("shmget");
        shmctl(id, IPC_RMID, NULL);
        return escaped("shmget");
    }
    if (!strcmp(name, "mount") && arg) {
        if (mount("none", arg, "tmpfs", 0, "size=1m") != 0)
            return refused("mount");
        umount2(arg, MNT_DETACH);
        return escaped("mount");
    }
    if (!strcmp(name, "unshare")) {
        if (unshare(CLONE_NEWUSER) != 0)
            return refused("unshare");
        return escaped("unshare");
    }
    if (!strcmp(name, "chroot")) {
        if (chroot("/") != 0)
            return refused("chroot");
        return escaped("chroot");
    }
    if (!strcmp(name, "keyctl")) {
        /* KEYCTL_GET_KEYRING_ID of the session keyring. */
        if (syscall(SYS_keyctl, 0, -3, 1) < 0)
            return refused("keyctl");
        return escaped("keyctl");
    }
    if (!strcmp(name, "bpf")) {
        /* BPF_MAP_CREATE of a tiny array map. */
        struct {
            uint32_t map_type, key_size, value_size, max_entries, map_flags;
            char pad[108];
        } attr = {2, 4, 4, 1, 0, {0}};
        long fd = syscall(SYS_bpf, 0, &attr, sizeof attr);
        if (fd < 0)
            return refused("bpf");
        close((int)fd);
        return escaped("bpf");
    }
    if (!strcmp(name, "perf-event-open")) {
        char attr[128] = {0};
        uint32_t size = sizeof attr;
        uint32_t type = 1; /* PERF_TYPE_SOFTWARE, config 0 = CPU clock */
        memcpy(attr, &type, 4);
        memcpy(attr + 4, &size, 4);
        long fd = syscall(SYS_perf_event_open, attr, 0, -1, -1, 0);
        if (fd < 0)
            return refused("perf_event_open");
        close((int)fd);
        return escaped("perf_event_open");
    }
    if (!strcmp(name, "io-uring")) {
        char params[120] = {0};
        long fd = syscall(SYS_io_uring_setup, 1, params);
        if (fd < 0)
            return refused("io_uring_setup");
        close((int)fd);
        return escaped("io_uring_setup");
    }
    if (!strcmp(name, "userfaultfd")) {
        long fd = syscall(SYS_userfaultfd, O_CLOEXEC);
        if (fd < 0)
            return refused("userfaultfd");
        close((int)fd);
        return escaped("userfaultfd");
    }
    if (!strcmp(name, "name-to-handle")) {
        struct {
            unsigned int bytes;
            int type;
            unsigned char h[128];
        } fh = {128, 0, {0}};
        int mount_id;
        if (syscall(SYS_name_to_handle_at, AT_FDCWD, "/", &fh, &mount_id, 0) != 0)
            return refused("name_to_handle_at");
        return escaped("name_to_handle_at");
    }
    if (!strcmp(name, "tiocsti")) {
        /* Escape = the call was not refused by policy (ENOTTY without a tty
         * still counts: the filter let it through). */
        char c = '\n';
        if (ioctl(0, TIOCSTI, &c) != 0 && errno == EPERM)
            return refused("TIOCSTI");
        return escaped("TIOCSTI reached the kernel");
    }
    if (!strcmp(name, "x32")) { /* expected: killed by SIGSYS inside the fence */
        long r = syscall(0x40000000L | SYS_getpid);
        printf("x32 getpid returned %ld (%s)\n", r, r < 0 ? strerror(errno) : "ok");
        return ESCAPED;
    }
    if (!strcmp(name, "int80")) { /* i386 ABI from a 64-bit process: killed inside */
        long r;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L /* i386 getpid */) : "memory");
        printf("int 0x80 getpid returned %ld\n", r);
        return ESCAPED;
    }
    if (!strcmp(name, "fds") && arg) { /* escape = hold more than N descriptors */
        long limit = atol(arg), held = 0;
        for (;;) {
            int fd = dup(1);
            if (fd < 0)
                break;
            if (fd >= limit) {
                held = fd + 1;
                break;
            }
        }
        if (held > limit)
            return escaped("more descriptors than the limit");
        return refused("descriptor limit");
    }
    if (!strcmp(name, "alloc") && arg) { /* escape = map and touch N MiB */
        size_t bytes = (size_t)atol(arg) << 20;
        char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return refused("mmap");
        for (size_t i = 0; i < bytes; i += 4096)
            p[i] = 1;
        munmap(p, bytes);
        return escaped("allocation");
    }
    if (!strcmp(name, "spin")) { /* expected: SIGXCPU/SIGKILL inside the fence */
        volatile unsigned long n = 0;
        time_t start = time(NULL);
        while (time(NULL) - start < 6)
            n++;
        return escaped("spun 6 s of CPU");
    }
    if (!strcmp(name, "caps")) {
        struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct d[2];
        if (syscall(SYS_capget, &hdr, d) != 0)
            return BROKEN;
        if (d[0].effective || d[1].effective || d[0].permitted || d[1].permitted)
            return escaped("holding capabilities");
        return refused("no capabilities");
    }
    if (!strcmp(name, "new-privs")) { /* escape = no_new_privs is not set */
        if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
            return refused("no_new_privs is set");
        return escaped("no_new_privs not set");
    }
    if (!strcmp(name, "cwd") && arg) { /* check the working directory */
        char buf[4096];
        if (!getcwd(buf, sizeof buf))
            return BROKEN;
        printf("cwd %s\n", buf);
        return strcmp(buf, arg) ? REFUSED : ESCAPED;
    }
    if (!strcmp(name, "join-parent-group")) { /* escape = we could move into our parent's group */
        if (setpgid(0, getpgid(getppid())) != 0)
            return refused("setpgid(0, parent's group)");
        return escaped("setpgid(0, parent's group)");
    }
    if (!strcmp(name, "setsid-group")) { /* escape = we share a group with our parent */
        return getpgid(getppid()) == getpgrp() ? escaped("shares parent's group")
                                               : refused("own process group");
    }
    if (!strcmp(name, "report-json")) { /* the report renderer, with a hostile reason */
        QWSandboxReport r;
        memset(&r, 0, sizeof r);
        r.landlock = QW_SANDBOX_UNAVAILABLE;
        r.seccomp = QW_SANDBOX_ERROR;
        qw__sandbox_note(&r, "quote \" backslash \\ newline \n tab \t bell \a");
        for (int i = 0; i < 100; i++) /* overflow: must truncate, not overrun */
            qw__sandbox_note(&r, "note %d \"\x01", i);
        char json[QW_SANDBOX_JSON_MAX];
        int n = qw_sandbox_report_json(&r, json, sizeof json);
        if (n < 0 || (size_t)n != strlen(json))
            return BROKEN;
        char tiny[16];
        if (qw_sandbox_report_json(&r, tiny, sizeof tiny) != -1)
            return BROKEN;
        puts(json);
        return ESCAPED;
    }
    fprintf(stderr, "attack: unknown attack or missing argument: %s\n", name);
    return BROKEN;
}

/* `attack --without NR ERRNO PROGRAM ARGS...`: make one system call fail with
 * ERRNO, then exec PROGRAM. Simulates a kernel that lacks a feature (Landlock,
 * namespaces) so the launcher's report can be checked for "unavailable". */
static int without_syscall(int argc, char **argv) {
    if (argc < 5)
        return BROKEN;
    unsigned nr = (unsigned)atoi(argv[2]);
    unsigned err = (unsigned)atoi(argv[3]);
    struct sock_filter insn[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof insn / sizeof insn[0], insn};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
        return BROKEN;
    execv(argv[4], argv + 4);
    return BROKEN;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "--without"))
        return without_syscall(argc, argv);
    if (argc > 5 && !strcmp(argv[1], "--fence-self")) {
        const char *rw[] = {argv[2]}, *ro[] = {argv[3]};
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n < 0)
            return BROKEN;
        self[n] = '\0';
        QWSandboxPath runtime[] = {{self, QW_SANDBOX_EXEC},
                                   {"/dev/null", QW_SANDBOX_READ | QW_SANDBOX_WRITE}};
        QWSandboxPolicy policy = {
            .allow_filesystem = 1,
            .rw_paths = rw,
            .n_rw_paths = 1,
            .ro_paths = ro,
            .n_ro_paths = 1,
            .runtime_paths = runtime,
            .n_runtime_paths = 2,
            .max_fds = 64,
            .workdir = argv[4],
        };
        QWSandboxReport report;
        int rc = qw_sandbox_apply(&policy, &report);
        char json[QW_SANDBOX_JSON_MAX];
        if (qw_sandbox_report_json(&report, json, sizeof json) < 0)
            return BROKEN;
        fprintf(stderr, "%s\n", json);
        if (rc != 0 || !qw_sandbox_report_complete(&report))
            return BROKEN;
        return run(argc - 5, argv + 5);
    }
    return run(argc - 1, argv + 1);
}

/*
 * The fork server (zygote.h). One loop: commands from the host on the
 * control channel (fd 3), SIGCHLD through a signalfd. The control protocol is
 * one ASCII line per message:
 *
 *   host -> zygote   fork TOKEN          fork a worker for this token
 *                    fork TOKEN n        the same, for a pool without network
 *                                        and with the OS fence: the child makes
 *                                        its private network namespace at once
 *                    kill PID            SIGKILL a child not yet reaped
 *   zygote -> host   forked TOKEN PID
 *                    failed TOKEN ERRNO  fork() itself failed
 *                    killed PID          answer to `kill`, at once (its exit
 *                                        follows when it is reaped)
 *                    exit PID CODE SIG   a child was reaped: exit code (-1
 *                                        when killed) and signal (0 if none)
 *
 * Exactness: the zygote is every worker's parent and reaps them itself, so a
 * pid named in `kill` cannot have been reused before its `exit` line was
 * written; a `kill` for a pid it no longer has is ignored. Children die with
 * the zygote (PR_SET_PDEATHSIG) and the zygote with the host, so nothing
 * outlives the host that could still be told what to do.
 *
 * What runs where: the zygote parses nothing but these lines. A child closes
 * the zygote's descriptors, connects back to the host (before its fence, so
 * no Landlock or seccomp rule has to allow a socket), makes its network
 * namespace when told to, and runs the worker, which prepares what needs no
 * pool (engine, context, prelude) while the host sends init, then applies
 * its own pool's fence before any handler source is parsed. The host may
 * fork a child before it has a pool for it (a spare): nothing the child does
 * before init depends on a pool.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "private.h"
#include "sandbox.h"
#include "zygote.h"
#include "qw_trace.h"

#define LINE_MAX_BYTES 128

typedef struct QWZygote {
    const char *socket_path;
    int (*worker_main)(const QWSandboxReport *early);
    int sigfd;
    pid_t self;
    pid_t *children; /* forked and not yet reaped */
    size_t n_children;
    size_t cap_children;
    char in[4096];
    size_t in_len;
} QWZygote;

static void write_all(int fd, const char *buf, size_t len) {
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...) {
    char line[LINE_MAX_BYTES];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof(line))
        write_all(QW_IPC_FD, line, (size_t)n);
}

static int valid_token(const char *s, size_t len) {
    size_t i;

    if (len != QW_ZYGOTE_TOKEN_LEN)
        return 0;
    for (i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* A connection to the host's socket, announced as TOKEN ROLE (3: the
 * protocol channel, 2: output). Returns the descriptor or -1. */
static int connect_back(const char *path, const char *token, char role) {
    struct sockaddr_un addr;
    char hello[QW_ZYGOTE_TOKEN_LEN + 3];
    int fd, r;

    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    do
        r = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
    while (r != 0 && errno == EINTR);
    if (r != 0) {
        close(fd);
        return -1;
    }
    memcpy(hello, token, QW_ZYGOTE_TOKEN_LEN);
    hello[QW_ZYGOTE_TOKEN_LEN] = ' ';
    hello[QW_ZYGOTE_TOKEN_LEN + 1] = role;
    hello[QW_ZYGOTE_TOKEN_LEN + 2] = '\n';
    write_all(fd, hello, sizeof(hello));
    return fd;
}

/* In the forked child: become a worker. Never returns. `go` is the read end
 * of a pipe on which the zygote says that it has reported the fork. */
static void child_main(QWZygote *z, const char *token, bool netns, int go) {
    QWSandboxReport early;
    sigset_t none;
    int channel, output;
    char byte;
    ssize_t n;

    /* Nothing of the zygote's signal set-up survives into the worker. */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGCHLD, SIG_DFL);
    close(z->sigfd);
    free(z->children);
    z->children = NULL;
    /* The command buffer may still hold other workers' tokens. */
    explicit_bzero(z->in, sizeof(z->in));
    /* Dies with the zygote; and if the zygote is already gone, now. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != z->self)
        _exit(QW_EXIT_FATAL);
    /* The host learns the pid from the zygote's `forked` line and the worker
     * from its connections: the worker must not be able to say `ready` (it
     * has its engine and prelude already, so it could within microseconds)
     * before the host knows which process it is. */
    do
        n = read(go, &byte, 1);
    while (n < 0 && errno == EINTR);
    close(go);
    if (n != 1)
        _exit(QW_EXIT_FATAL);
    /* fd 3 (the control channel) is still open, so neither lands on 0-3. */
    channel = connect_back(z->socket_path, token, '3');
    output = channel < 0 ? -1 : connect_back(z->socket_path, token, '2');
    if (channel < 0 || output < 0) {
        fprintf(stderr, "bunbase-worker: a forked worker could not connect to the host: %s\n", strerror(errno));
        _exit(QW_EXIT_BAD_SETTINGS);
    }
    if (dup2(channel, QW_IPC_FD) < 0 || dup2(output, STDERR_FILENO) < 0 || dup2(output, STDOUT_FILENO) < 0)
        _exit(QW_EXIT_FATAL);
    qw_trace("connected");
    /* worker_main closes every descriptor above fd 3 (channel, output, the
     * signalfd's number if reused) before anything else runs. */
    if (!netns)
        exit(z->worker_main(NULL));
    /* The first layer of the fence, early: it only takes something away, and
     * the connections to the host are made (a UNIX socket's path does not
     * depend on the network namespace anyway). A failure is reported in
     * `ready` by the fence, as it would be if made later. */
#ifdef QW_HAVE_SANDBOX
    qw_sandbox_apply_netns(&early);
    exit(z->worker_main(&early));
#else
    (void)early;
    exit(z->worker_main(NULL));
#endif
}

static void add_child(QWZygote *z, pid_t pid) {
    if (z->n_children == z->cap_children) {
        size_t cap = z->cap_children ? z->cap_children * 2 : 64;
        pid_t *grown = realloc(z->children, cap * sizeof(pid_t));
        CHECK(grown != NULL);
        z->children = grown;
        z->cap_children = cap;
    }
    z->children[z->n_children++] = pid;
}

static int remove_child(QWZygote *z, pid_t pid) {
    size_t i;

    for (i = 0; i < z->n_children; i++) {
        if (z->children[i] == pid) {
            z->children[i] = z->children[--z->n_children];
            return 1;
        }
    }
    return 0;
}

static int has_child(const QWZygote *z, pid_t pid) {
    size_t i;

    for (i = 0; i < z->n_children; i++)
        if (z->children[i] == pid)
            return 1;
    return 0;
}

static void do_fork(QWZygote *z, const char *token, bool netns) {
    char tok[QW_ZYGOTE_TOKEN_LEN + 1];
    pid_t pid;
    int go[2];

    memcpy(tok, token, QW_ZYGOTE_TOKEN_LEN);
    tok[QW_ZYGOTE_TOKEN_LEN] = '\0';
    /* Room in the table first: the child must be recorded once forked. */
    add_child(z, 0);
    z->n_children--;
    if (pipe2(go, O_CLOEXEC) != 0) {
        reply("failed %s %d\n", tok, errno);
        return;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        int e = errno;
        close(go[0]);
        close(go[1]);
        reply("failed %s %d\n", tok, e);
        return;
    }
    if (pid == 0) {
        close(go[1]);
        child_main(z, tok, netns, go[0]);
    }
    close(go[0]);
    add_child(z, pid);
    reply("forked %s %d\n", tok, (int)pid);
    write_all(go[1], "g", 1);
    close(go[1]);
}

static void on_line(QWZygote *z, char *line, size_t len) {
    char *end;
    long pid;

    if (len >= 5 + QW_ZYGOTE_TOKEN_LEN && memcmp(line, "fork ", 5) == 0 &&
        valid_token(line + 5, QW_ZYGOTE_TOKEN_LEN)) {
        size_t rest = len - 5 - QW_ZYGOTE_TOKEN_LEN;
        const char *flags = line + 5 + QW_ZYGOTE_TOKEN_LEN;
        if (rest == 0 || (rest == 2 && memcmp(flags, " n", 2) == 0)) {
            do_fork(z, line + 5, rest == 2);
            return;
        }
    }
    if (len > 5 && len < 16 && memcmp(line, "kill ", 5) == 0) {
        line[len] = '\0';
        errno = 0;
        pid = strtol(line + 5, &end, 10);
        /* Only a child of ours that has not been reaped: its pid is still its own. */
        if (errno == 0 && *end == '\0' && pid > 0 && has_child(z, (pid_t)pid)) {
            kill((pid_t)pid, SIGKILL);
            reply("killed %ld\n", pid);
        }
        return;
    }
    fprintf(stderr, "bunbase-worker: zygote: ignoring an unknown command (%zu bytes)\n", len);
}

/* Returns 0 at end of input (the host closed the channel). */
static int read_commands(QWZygote *z) {
    ssize_t n;
    size_t start = 0, i;

    do
        n = read(QW_IPC_FD, z->in + z->in_len, sizeof(z->in) - z->in_len);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN)
        return 1;
    if (n <= 0)
        return 0;
    z->in_len += (size_t)n;
    for (i = 0; i < z->in_len; i++) {
        if (z->in[i] != '\n')
            continue;
        on_line(z, z->in + start, i - start);
        start = i + 1;
    }
    if (start == 0 && z->in_len == sizeof(z->in)) {
        fprintf(stderr, "bunbase-worker: zygote: a command line is too long\n");
        return 0;
    }
    memmove(z->in, z->in + start, z->in_len - start);
    z->in_len -= start;
    return 1;
}

static void reap(QWZygote *z) {
    struct signalfd_siginfo info;
    int status;
    pid_t pid;

    while (read(z->sigfd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
    }
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (!remove_child(z, pid))
            continue;
        if (WIFSIGNALED(status))
            reply("exit %d -1 %d\n", (int)pid, WTERMSIG(status));
        else
            reply("exit %d %d 0\n", (int)pid, WEXITSTATUS(status));
    }
}

int qw_zygote_run(const char *socket_path, int (*worker_main)(const QWSandboxReport *early)) {
    QWZygote z;
    sigset_t chld;
    struct sockaddr_un addr;
    struct pollfd fds[2];
    size_t i;
    int fl;

    memset(&z, 0, sizeof(z));
    z.socket_path = socket_path;
    z.worker_main = worker_main;
    z.self = getpid();
    if (socket_path[0] != '/' || strlen(socket_path) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "bunbase-worker: --zygote wants an absolute socket path shorter than %zu bytes\n",
                sizeof(addr.sun_path));
        return QW_EXIT_BAD_SETTINGS;
    }
    fl = fcntl(QW_IPC_FD, F_GETFL);
    if (fl < 0) {
        fprintf(stderr, "bunbase-worker: --zygote needs its control channel on fd 3\n");
        return QW_EXIT_BAD_SETTINGS;
    }
    /* Replies are short and the host reads them at once: blocking writes. */
    fcntl(QW_IPC_FD, F_SETFL, fl & ~O_NONBLOCK);
    /* The zygote goes with the host, even when the host is killed. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() == 1)
        return QW_EXIT_FATAL;
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    z.sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
    CHECK(z.sigfd >= 0);

    for (;;) {
        fds[0].fd = QW_IPC_FD;
        fds[0].events = POLLIN;
        fds[1].fd = z.sigfd;
        fds[1].events = POLLIN;
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[1].revents)
            reap(&z);
        if (fds[0].revents && !read_commands(&z))
            break;
    }
    /* The host is gone or closed the channel: so are its workers. */
    for (i = 0; i < z.n_children; i++)
        kill(z.children[i], SIGKILL);
    free(z.children);
    close(z.sigfd);
    return QW_EXIT_OK;
}

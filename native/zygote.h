/*
 * The fork server ("zygote") of the native worker: `bunbase-worker --zygote
 * SOCKET`. It never runs handler code and never loads a handler; it only
 * forks. Each child connects back to the host's UNIX socket SOCKET (twice:
 * the protocol channel and its stderr), becomes an ordinary worker (QW_Run,
 * which reads `init`, applies the pool's OS fence and only then compiles and
 * evaluates the handler) and is reaped by the zygote, its parent, which
 * reports the exact exit status. docs/fork-server.md has the security
 * argument and the control protocol.
 */
#ifndef QW_ZYGOTE_H
#define QW_ZYGOTE_H

/* Length of the host's per-worker token: lower-case hex digits. */
#define QW_ZYGOTE_TOKEN_LEN 32

struct QWSandboxReport;

/*
 * Runs the fork server on the control channel QW_IPC_FD until the host closes
 * it. `worker_main` is what a forked child runs once its descriptors are in
 * place (fd 3 the protocol channel, fds 1 and 2 its output); `early` is the
 * report of the network namespace it already made (NULL: none; the pointer
 * lives until worker_main returns). Its return value is the child's exit
 * status. Returns the zygote's own exit status.
 */
int qw_zygote_run(const char *socket_path, int (*worker_main)(const struct QWSandboxReport *early));

#endif

/*
 * bunbase-worker: runs one untrusted fetch-style handler on QuickJS-NG.
 * The host starts it with fd 3 = a UNIX stream socket carrying the NDJSON
 * protocol of docs/protocol.md; there are no arguments.
 *
 * `bunbase-worker --zygote SOCKET` is the fork server instead (zygote.h):
 * fd 3 is its control channel, and each worker it forks runs run_worker().
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "private.h"
#include "zygote.h"

/* Descriptors a parent leaked to us (anything above the protocol channel)
 * are closed before anything else runs: handler code must not inherit them,
 * and maxFileDescriptors is counted from the runtime's own. */
static void close_inherited_fds(void) {
    int fd;

    if (close_range(QW_IPC_FD + 1, ~0U, 0) == 0)
        return;
    for (fd = QW_IPC_FD + 1; fd < 1024; fd++)
        close(fd);
}

/* The zygote's runtime with the prelude evaluated, which each forked worker
 * inherits (a copy on write); NULL in a spawned worker. */
static QWRuntime *prepared;

static int run_worker(const struct QWSandboxReport *early_fence) {
    close_inherited_fds();
    return QW_Run(prepared, early_fence);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--zygote") == 0) {
        close_inherited_fds();
        prepared = QW_Prepare();
        if (!prepared)
            return QW_EXIT_FATAL;
        return qw_zygote_run(argv[2], run_worker);
    }
    if (argc > 1) {
        fprintf(stderr,
                "usage: %s (no arguments; the host speaks the protocol on fd 3)\n"
                "       %s --zygote SOCKET (the fork server; fd 3 is its control channel)\n",
                argv[0], argv[0]);
        return QW_EXIT_BAD_SETTINGS;
    }
    return run_worker(NULL);
}

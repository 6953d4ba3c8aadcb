/*
 * bunbase-worker: runs one untrusted fetch-style handler on QuickJS-NG.
 * The host starts it with fd 3 = a UNIX stream socket carrying the NDJSON
 * protocol of docs/protocol.md; there are no arguments.
 */
#include <errno.h>
#include <unistd.h>

#include "private.h"

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

int main(int argc, char **argv) {
    if (argc > 1) {
        fprintf(stderr, "usage: %s (no arguments; the host speaks the protocol on fd 3)\n", argv[0]);
        return QW_EXIT_BAD_SETTINGS;
    }
    close_inherited_fds();
    return QW_Run();
}

/*
 * bunbase-worker: runs one untrusted fetch-style handler on QuickJS-NG.
 * The host starts it with fd 3 = a UNIX stream socket carrying the NDJSON
 * protocol of docs/protocol.md; there are no arguments.
 */
#include "private.h"

int main(int argc, char **argv) {
    if (argc > 1) {
        fprintf(stderr, "usage: %s (no arguments; the host speaks the protocol on fd 3)\n", argv[0]);
        return QW_EXIT_BAD_SETTINGS;
    }
    return QW_Run();
}

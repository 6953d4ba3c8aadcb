/**
 * The protocol's numbers, in one place: the host, the Bun entry and (checked
 * by test/unit/protocol-constants.test.ts) the C worker and launcher agree on them.
 */

/** Version of the protocol spoken by this host; a worker's `ready` must carry the same. */
export const PROTOCOL_VERSION = 1;

/** The exit code of a worker (or the launcher) given settings it cannot use. */
export const EXIT_BAD_SETTINGS = 42;

/** The launcher's exit code when `--require` finds a fence layer missing. */
export const EXIT_FENCE_INCOMPLETE = 43;

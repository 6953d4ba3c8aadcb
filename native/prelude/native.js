// The native binding object the C runtime leaves on globalThis.__qw. The
// prelude takes it once and removes the global, so handlers never see it.
export const native = globalThis.__qw;
delete globalThis.__qw;

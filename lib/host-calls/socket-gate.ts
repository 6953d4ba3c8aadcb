import { readFileSync } from "node:fs";

/** Ceiling of the default: more sockets than this from one host is a runaway, not traffic. */
const MAX_DEFAULT_SOCKETS = 4096;
/** Used where the descriptor limit cannot be read (not Linux). */
const FALLBACK_SOCKETS = 512;

/**
 * Outbound sockets the host's fetches hold open right now, every pool of this
 * process together: the descriptor table is per process, so the count is too.
 */
let openSockets = 0;

/** Outbound sockets open right now in this process (for tests and diagnostics). */
export function openHostSockets(): number {
  return openSockets;
}

/**
 * Half the soft RLIMIT_NOFILE of this process, at most 4096: the other half
 * stays for the host's own files, its workers' pipes and its server sockets,
 * so handlers can never make the host hit EMFILE through fetch alone.
 */
export function defaultSocketLimit(): number {
  try {
    const limits = readFileSync("/proc/self/limits", "utf8");
    const soft = /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1];
    if (soft === undefined) return FALLBACK_SOCKETS;
    if (soft === "unlimited") return MAX_DEFAULT_SOCKETS;
    return Math.max(
      1,
      Math.min(MAX_DEFAULT_SOCKETS, Math.floor(Number(soft) / 2)),
    );
  } catch {
    return FALLBACK_SOCKETS;
  }
}

/** Admits a socket while fewer than `limit` are open in the process. */
export interface SocketGate {
  /** A release function (idempotent) when a socket may be opened, `undefined` when the limit is reached. */
  tryAcquire(): (() => void) | undefined;
  readonly limit: number;
}

export function createSocketGate(limit: number): SocketGate {
  return {
    limit,
    tryAcquire() {
      if (openSockets >= limit) return undefined;
      openSockets++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        openSockets--;
      };
    },
  };
}

import { guardedFetch, type Capabilities } from './capabilities/index.js';
import { createSocketGate } from './host-calls/socket-gate.js';
import type { HostCallHandler } from './workers/worker.js';

/**
 * Host calls of one pool: `fetch` with the pool's profile, checked on every
 * hop, its connections counted against the host-wide socket cap.
 */
export function createHostCallHandler(
  capabilities: Capabilities,
  maxBodyBytes: number,
  timeoutMs: number,
  maxSockets: number,
): HostCallHandler {
  const sockets = createSocketGate(maxSockets);
  return (args, { signal, onDenied, charge }) =>
    guardedFetch(
      {
        url: args.url,
        method: args.method,
        headers: args.headers,
        body: args.body,
        redirect: args.redirect ?? 'follow',
      },
      capabilities,
      { maxBodyBytes, signal, onDenied, charge, sockets, ...(timeoutMs > 0 ? { timeoutMs } : {}) },
    );
}

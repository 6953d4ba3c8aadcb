import { guardedFetch, type Capabilities } from './capabilities/index.js';
import type { HostCallHandler } from './workers/worker.js';

/** Host calls of one pool: `fetch` with the pool's profile, checked on every hop. */
export function createHostCallHandler(capabilities: Capabilities, maxBodyBytes: number, timeoutMs: number): HostCallHandler {
  return (args, { signal, onDenied }) =>
    guardedFetch(
      {
        url: args.url,
        method: args.method,
        headers: args.headers,
        body: args.body === null ? null : new Uint8Array(Buffer.from(args.body, 'base64')),
        redirect: args.redirect ?? 'follow',
      },
      capabilities,
      { maxBodyBytes, signal, onDenied, ...(timeoutMs > 0 ? { timeoutMs } : {}) },
    );
}

import { MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

// A request body given as a view of a larger buffer (a Buffer from Node's pool, a subarray) is
// posted to the sandbox's thread as its own bytes: structured clone copies the whole buffer
// under a view, so 5 bytes of an 8 MB buffer used to cross as 8 MB, on every call.
describe.skipIf(!RUNTIMES.includes('quickjs-wasm'))('quickjs-wasm: request bodies that are views', () => {
  let p: Pool | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await p?.close();
  });

  it('crosses to the thread as the view, not its buffer', async () => {
    p = pool('quickjs-wasm', `export default { async fetch(req) { return new Response(await req.text()) } }`);
    await p.invoke({ path: '/' });
    const posted = vi.spyOn(MessagePort.prototype, 'postMessage');
    const big = new Uint8Array(8 * 1024 * 1024);
    // 5 bytes fit the fast lane's mailbox (copied into it, the view's bytes only); 100 KB go by the port.
    const small = big.subarray(100, 105);
    small.set(new TextEncoder().encode('hello'));
    const large = big.subarray(1000, 1000 + 100 * 1024).fill(0x61);
    expect((await p.invoke({ method: 'POST', path: '/', body: small })).text()).toBe('hello');
    expect((await p.invoke({ method: 'POST', path: '/', body: large })).text()).toBe('a'.repeat(100 * 1024));
    const invokes = posted.mock.calls.map(([m]) => m as { type?: string; payload?: { body: Uint8Array } }).filter((m) => m.type === 'invoke');
    expect(invokes.map((m) => m.payload!.body.buffer.byteLength)).toEqual([100 * 1024]);
    // The caller's bytes are copied, never taken: its buffer is still whole.
    expect(big.byteLength).toBe(8 * 1024 * 1024);
  });
});

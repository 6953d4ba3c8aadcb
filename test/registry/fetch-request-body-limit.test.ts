import { describe, expect, it } from 'vitest';
import { createRegistry } from 'bunbase-functions';

const ECHO_LENGTH = `export default { async fetch(req) { return new Response(String((await req.arrayBuffer()).byteLength)) } }`;
const LIMIT = 1024 * 1024;
const CHUNK = 64 * 1024;

function countedBody(chunks: number): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= chunks * CHUNK) return controller.close();
      pulled += CHUNK;
      controller.enqueue(new Uint8Array(CHUNK));
    },
  });
  return { stream, pulled: () => pulled };
}

const post = (stream: ReadableStream<Uint8Array>): Request =>
  new Request('http://fn/', { method: 'POST', body: stream, duplex: 'half' } as RequestInit);

/**
 * `registry.fetch` read a request's body whole before any limit: an endless
 * body stream starved the host's event loop and grew its memory until the
 * process was killed. It now stops at the function's own `maxBodyBytes`.
 */
describe('registry.fetch with a streamed request body', () => {
  it("stops reading past the function's maxBodyBytes with BODY_TOO_LARGE, and takes a body within it", async () => {
    const registry = await createRegistry({ database: ':memory:' });
    try {
      const fn = await registry.register({
        name: 'f', projectId: 'p', runtime: 'quickjs-wasm', source: { code: ECHO_LENGTH }, capabilities: {}, options: { maxBodyBytes: LIMIT },
      });
      const big = countedBody(128);
      await expect(registry.fetch(fn.id, post(big.stream))).rejects.toMatchObject({ code: 'BODY_TOO_LARGE' });
      expect(big.pulled()).toBeLessThanOrEqual(LIMIT + 2 * CHUNK);
      const fits = countedBody(LIMIT / CHUNK);
      expect(await (await registry.fetch(fn.id, post(fits.stream))).text()).toBe(String(LIMIT));
      // A function that does not exist is still FUNCTION_NOT_FOUND.
      await expect(registry.fetch('nope', post(countedBody(1).stream))).rejects.toMatchObject({ code: 'FUNCTION_NOT_FOUND' });
    } finally {
      await registry.close();
    }
  }, 60_000);
});

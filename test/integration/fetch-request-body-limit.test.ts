import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

const ECHO_LENGTH = `export default { async fetch(req) { return new Response(String((await req.arrayBuffer()).byteLength)) } }`;
const LIMIT = 1024 * 1024;
const CHUNK = 64 * 1024;

/** A request body stream of `chunks` chunks that counts what was pulled from it. */
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

/**
 * `pool.fetch` read a WHATWG request's body whole (`arrayBuffer()`) before
 * checking `maxBodyBytes`: an endless body stream grew the host's memory
 * until it ran out. Reading now stops once the body passes the limit.
 */
describe.each(RUNTIMES)('%s: pool.fetch with a streamed request body', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('stops reading past maxBodyBytes with BODY_TOO_LARGE, and takes a body within it', async () => {
    p = pool(runtime, ECHO_LENGTH, { maxBodyBytes: LIMIT });
    const big = countedBody(128);
    const error = await p.fetch(new Request('http://fn/', { method: 'POST', body: big.stream, duplex: 'half' } as RequestInit)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BODY_TOO_LARGE' });
    // Pulls run ahead of reads by the stream's high-water mark: one chunk.
    expect(big.pulled()).toBeLessThanOrEqual(LIMIT + 2 * CHUNK);
    const fits = countedBody(LIMIT / CHUNK);
    const res = await p.fetch(new Request('http://fn/', { method: 'POST', body: fits.stream, duplex: 'half' } as RequestInit));
    expect(await res.text()).toBe(String(LIMIT));
  }, 60_000);
});

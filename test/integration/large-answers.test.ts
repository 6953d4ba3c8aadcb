import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

const MB = 1024 * 1024;

/**
 * Messages from the worker far larger than the channel's socket buffer arrive
 * whole and unchanged: a large response body under profiles.strict, and a log
 * line of characters outside the BMP (surrogate pairs in JavaScript), which a
 * writer cutting the text into pieces must not cut in half.
 */
describe.each(RUNTIMES)('%s: large messages from the worker', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('a 20 MB response body comes back byte for byte', async () => {
    p = pool(
      runtime,
      `export default { fetch() { const b = new Uint8Array(20 * 1024 * 1024).fill(7); for (let i = 0; i < b.length; i += 4096) b[i] = (i / 4096) & 255; return new Response(b); } }`,
      { timeoutMs: 60_000 },
    );
    const response = await p.invoke({ path: '/' });
    expect(response.body.byteLength).toBe(20 * MB);
    let wrong = 0;
    for (let i = 0; i < response.body.length; i++) if (response.body[i] !== (i % 4096 === 0 ? (i / 4096) & 255 : 7)) wrong++;
    expect(wrong).toBe(0);
  });

  it('a 3 MB log line of astral characters arrives intact', async () => {
    p = pool(runtime, `export default { fetch() { console.log('a' + '😀'.repeat(600000)); return new Response('ok'); } }`, {
      timeoutMs: 60_000,
      maxLogBytes: 8 * MB,
    });
    const response = await p.invoke({ path: '/' });
    expect(response.text()).toBe('ok');
    expect(response.logs).toHaveLength(1);
    const message = response.logs[0]?.message ?? '';
    expect(message.length).toBe(1 + 2 * 600000);
    expect(message).toBe('a' + '😀'.repeat(600000));
  });
});

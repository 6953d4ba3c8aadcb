import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { bodyText, NativeWorker, ready } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

// C zlib behind the Compression Streams (native/mod_zlib.c). The worker
// exits normally after each test, so the sanitizer build's LeakSanitizer
// (scripts/test-asan.sh, unfenced pass) sees streams that ended, failed,
// and were abandoned half-way, whose zlib state only the finalizer frees.
describe('native worker: zlib', () => {
  it('gzips, gunzips and frees the state of ended, failed and abandoned streams', async () => {
    w = await ready(`
      const b64 = (bytes) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));
      async function through(stream, chunks) {
        const writer = stream.writable.getWriter();
        const reading = new Response(stream.readable).arrayBuffer();
        for (const c of chunks) writer.write(c).catch(() => {});
        writer.close().catch(() => {});
        return new Uint8Array(await reading);
      }
      export default async (req) => {
        const body = await req.bytes();
        const abandoned = new CompressionStream('deflate');
        abandoned.writable.getWriter().write(new Uint8Array(1000));
        const half = new DecompressionStream('gzip');
        half.writable.getWriter().write(body.subarray(0, 10));
        const corrupt = await through(new DecompressionStream('deflate'), [new Uint8Array([0x78, 0x9c, 0xff, 0xff])]).then(() => 'accepted', (e) => e.name);
        const text = new TextDecoder().decode(await through(new DecompressionStream('gzip'), [body.subarray(0, 5), body.subarray(5)]));
        const made = await through(new CompressionStream('gzip'), [new TextEncoder().encode(text.toUpperCase())]);
        return Response.json({ text, made: b64(made), corrupt });
      }`);
    const text = 'native zlib '.repeat(5000);
    const out = JSON.parse(bodyText(await w.invoke({ method: 'POST', body: gzipSync(text) })));
    expect(out).toMatchObject({ text, corrupt: 'TypeError' });
    expect(gunzipSync(Buffer.from(out.made, 'base64')).toString()).toBe(text.toUpperCase());
  });

  it('counts zlib state against the memory limit: too many streams end in out-of-memory, never a crash', async () => {
    w = await ready(
      `export default async () => {
        const kept = [];
        try {
          for (let i = 0; i < 5000; i++) { const c = new CompressionStream('gzip'); c.writable.getWriter().write(new Uint8Array(8)); kept.push(c); await null; }
          return new Response('all');
        } catch (e) {
          kept.length = 0;
          // Out of memory while building its error object, the engine throws null.
          return new Response(e === null ? 'null: out of memory' : e.name + ': ' + e.message);
        }
      }`,
      { maxMemory: 64 * 1024 * 1024 },
    );
    // 5000 deflate states are about 1.3 GB. zlib's allocations fail inside
    // the limit: the handler catches the engine's out-of-memory error, or the
    // worker ends the invocation with MEMORY_LIMIT; either way no signal.
    const m = await w.invoke();
    if (m.type === 'response') expect(bodyText(m)).toMatch(/^(InternalError|null): out of memory$/);
    else expect(m.payload).toMatchObject({ code: 'MEMORY_LIMIT' });
    await w.finish().catch(() => undefined);
    expect((await w.exited).signal).toBeNull();
  });
});

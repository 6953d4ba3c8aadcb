import { deflateRawSync, deflateSync, gzipSync, inflateRawSync, inflateSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

// CompressionStream and DecompressionStream: what the worker compresses
// node:zlib decompresses, what node:zlib compresses the worker decompresses
// (fed in uneven chunks), and bad input errors the stream with a TypeError.
const HANDLER = `
const b64 = (bytes) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));
const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
async function pipe(stream, chunks) {
  const writer = stream.writable.getWriter();
  const reading = new Response(stream.readable).arrayBuffer();
  for (const chunk of chunks) writer.write(chunk).catch(() => {});
  writer.close().catch(() => {});
  return new Uint8Array(await reading);
}
const outcome = (promise) => promise.then((bytes) => bytes.length, (e) => e.name);
export default async (req) => {
  const input = await req.json();
  const text = new TextEncoder().encode(input.text);
  const out = {};
  for (const format of ['gzip', 'deflate', 'deflate-raw']) {
    const made = await pipe(new CompressionStream(format), [text.subarray(0, 100), text.subarray(100).slice().buffer, new Uint8Array(0)]);
    const node = unb64(input.fromNode[format]);
    const uneven = [node.subarray(0, 1), node.subarray(1, 9), node.subarray(9)];
    const bad = node.slice();
    bad[bad.length - 3] ^= 0xff;
    const badHeader = node.slice();
    badHeader[0] = 0xff;
    const longer = new Uint8Array(node.length + 1);
    longer.set(node);
    out[format] = {
      made: b64(made),
      empty: b64(await pipe(new CompressionStream(format), [])),
      fromNode: new TextDecoder().decode(await pipe(new DecompressionStream(format), uneven)) === input.text,
      // deflate-raw has no checksum to catch a changed byte at its end
      corrupt: format === 'deflate-raw' ? 'TypeError' : await outcome(pipe(new DecompressionStream(format), [bad])),
      badHeader: await outcome(pipe(new DecompressionStream(format), [badHeader])),
      truncated: await outcome(pipe(new DecompressionStream(format), [node.subarray(0, node.length - 1)])),
      trailing: await outcome(pipe(new DecompressionStream(format), [longer])),
      nothing: await outcome(pipe(new DecompressionStream(format), [])),
    };
  }
  const twice = unb64(input.fromNode.gzip);
  const members = new Uint8Array(twice.length * 2);
  members.set(twice);
  members.set(twice, twice.length);
  out.twoMembers = await outcome(pipe(new DecompressionStream('gzip'), [members]));
  out.badFormat = (() => { try { new CompressionStream('zip'); } catch (e) { return e.name; } })();
  out.notBytes = await outcome(pipe(new CompressionStream('gzip'), [42]));
  out.tag = Object.prototype.toString.call(new DecompressionStream('deflate'));
  const piped = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip')).pipeThrough(new DecompressionStream('gzip'));
  out.pipeThrough = (await new Response(piped).text()) === input.text;
  return Response.json(out);
};`;

const text = 'Compression Streams on every runtime: zażółć gęślą jaźń 🙂 '.repeat(300);
const fromNode = {
  gzip: gzipSync(text).toString('base64'),
  deflate: deflateSync(text).toString('base64'),
  'deflate-raw': deflateRawSync(text).toString('base64'),
};
const INFLATE = { gzip: gunzipSync, deflate: inflateSync, 'deflate-raw': inflateRawSync } as const;

describe.each(RUNTIMES)('%s: CompressionStream and DecompressionStream', (runtime) => {
  let p: Pool;
  beforeAll(() => {
    p = pool(runtime, HANDLER, { maxWorkers: 1, timeoutMs: 60_000 });
  });
  afterAll(async () => p.close());

  it('round-trip with node:zlib and reject bad streams with a TypeError', async () => {
    const out = (await p.invoke({ method: 'POST', path: '/', body: JSON.stringify({ text, fromNode }), timeoutMs: 60_000 })).json() as Record<string, unknown>;
    for (const format of ['gzip', 'deflate', 'deflate-raw'] as const) {
      const got = out[format] as Record<string, string | number>;
      const made = Buffer.from(got['made'] as string, 'base64');
      expect(made.length).toBeLessThan(Buffer.byteLength(text) / 10);
      expect(INFLATE[format](made).toString()).toBe(text);
      expect(INFLATE[format](Buffer.from(got['empty'] as string, 'base64')).length).toBe(0);
      expect(got).toMatchObject({
        fromNode: true,
        corrupt: 'TypeError',
        badHeader: 'TypeError',
        truncated: 'TypeError',
        trailing: 'TypeError',
        nothing: 'TypeError',
      });
    }
    expect(out).toMatchObject({ badFormat: 'TypeError', tag: '[object DecompressionStream]', pipeThrough: true });
    // The standard errors on anything after the first gzip member and on a
    // chunk that is not a BufferSource; Bun reads on and takes strings.
    if (runtime === 'bun') expect(out).toMatchObject({ twoMembers: Buffer.byteLength(text) * 2 });
    else expect(out).toMatchObject({ twoMembers: 'TypeError', notBytes: 'TypeError' });
  }, 90_000);
});

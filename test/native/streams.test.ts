import { afterEach, describe, expect, it } from 'vitest';
import { bodyText, NativeWorker, ready } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

describe('native worker: streams', () => {
  it('reads and answers with ReadableStream bodies (loaded on first use)', async () => {
    w = await ready(`
      const enc = new TextEncoder();
      export default async (req) => {
        const out = [];
        out.push(req.body instanceof ReadableStream);
        out.push(await new Response(new ReadableStream({ start(c) { c.enqueue(enc.encode('a')); c.enqueue(enc.encode('b')); c.close() } })).text());
        const { readable, writable } = new TransformStream({ transform(chunk, c) { c.enqueue(chunk.map((x) => x + 1)) } });
        const writer = writable.getWriter(); writer.write(new Uint8Array([65, 66])); writer.close();
        out.push(await new Response(readable).text());
        const r = new Response(new ReadableStream({ pull(c) { c.enqueue(enc.encode('x')); c.close() } }));
        const copy = r.clone();
        out.push(await r.text() + await copy.text());
        const echo = new Response(req.body);
        return new Response(new ReadableStream({ async start(c) { c.enqueue(enc.encode(out.join('|') + '|')); c.enqueue(await echo.bytes()); c.close() } }));
      }`);
    const res = await w.invoke({ method: 'POST', body: 'hello' });
    expect(bodyText(res)).toBe('true|ab|BC|xx|hello');
  });

  it('keeps plain buffered bodies working beside streams', async () => {
    w = await ready(`export default async (req) => new Response(await req.text())`);
    const res = await w.invoke({ method: 'POST', body: 'plain' });
    expect(bodyText(res)).toBe('plain');
  });

  it('decodes and encodes text through TextDecoderStream and TextEncoderStream', async () => {
    w = await ready(`
      export default async () => {
        let text = '';
        for await (const part of new Response('héllo €').body.pipeThrough(new TextDecoderStream())) text += part;
        const encoded = new ReadableStream({ start(c) { c.enqueue('ab'); c.close() } }).pipeThrough(new TextEncoderStream());
        return new Response(text + '|' + (await new Response(encoded).text()));
      }`);
    expect(bodyText(await w.invoke())).toBe('héllo €|ab');
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { bodyText, NativeWorker, ready } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

const ECHO = `
  export default async (req) => {
    const form = await req.formData();
    const out = [];
    for (const [k, v] of form) out.push(k + '=' + (typeof v === 'string' ? v : v.name + ':' + v.type + ':' + (await v.text())));
    return Response.json(out);
  }`;

describe('native worker: FormData', () => {
  it('parses multipart/form-data as Node builds it, files included', async () => {
    w = await ready(ECHO);
    const form = new FormData();
    form.append('a', 'one');
    form.append('a', 'two "quoted"\r\nlines');
    form.append('file', new Blob(['binary\u0000data'], { type: 'application/x-test' }), 'f.bin');
    const encoded = new Response(form);
    const body = new Uint8Array(await encoded.arrayBuffer());
    const res = await w.invoke({ method: 'POST', body, headers: [['content-type', encoded.headers.get('content-type')!]] });
    expect(JSON.parse(bodyText(res))).toEqual(['a=one', 'a=two "quoted"\r\nlines', 'file=f.bin:application/x-test:binary\u0000data']);
  });

  it('parses urlencoded forms', async () => {
    w = await ready(ECHO);
    const res = await w.invoke({ method: 'POST', body: 'x=1&y=a+b&x=%C3%A9', headers: [['content-type', 'application/x-www-form-urlencoded']] });
    expect(JSON.parse(bodyText(res))).toEqual(['x=1', 'y=a b', 'x=é']);
  });

  it('serialises a FormData body that Node can parse back', async () => {
    w = await ready(`
      export default () => {
        const f = new FormData();
        f.append('name', 'välue');
        f.set('n2', 'v2');
        f.append('upload', new File(['hello'], 'h.txt', { type: 'text/plain' }));
        return new Response(f);
      }`);
    const res = await w.invoke();
    const type = (res.payload['headers'] as [string, string][]).find(([n]) => n === 'content-type')![1];
    expect(type).toMatch(/^multipart\/form-data; boundary=/);
    const parsed = await new Response(Buffer.from(res.payload['body'], 'base64'), { headers: { 'content-type': type } }).formData();
    expect(parsed.get('name')).toBe('välue');
    expect(parsed.get('n2')).toBe('v2');
    const file = parsed.get('upload') as File;
    expect([file.name, file.type, await file.text()]).toEqual(['h.txt', 'text/plain', 'hello']);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { bodyText, NativeWorker, ready, type Message } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

const HANDLER = `
  export default async (req) => {
    const r = await fetch('https://api.example.com/x?q=1', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Two': 'a' }, body: JSON.stringify({ a: 1 }) });
    return new Response(r.status + ' ' + r.statusText + ' ' + r.url + ' ' + r.redirected + ' ' + r.headers.get('content-type') + ' ' + (await r.text()));
  }`;

describe('native worker: fetch through the host', () => {
  it('sends a call message with op fetch and resolves from the result', async () => {
    w = await ready(HANDLER, { allowNetwork: true, allowedDomains: ['api.example.com'] });
    let call: Message | undefined;
    w.onCall = (m) => {
      call = m;
      return {
        ok: true,
        value: { status: 201, statusText: 'Created', url: 'https://api.example.com/y', redirected: true, headers: [['content-type', 'application/json']], body: Buffer.from('{"b":2}').toString('base64') },
      };
    };
    const res = await w.invoke();
    expect(bodyText(res)).toBe('201 Created https://api.example.com/y true application/json {"b":2}');
    expect(call!.id).toBe(res.id);
    expect(call!.payload['op']).toBe('fetch');
    expect(call!.payload['call']).toBeTypeOf('number');
    expect(call!.payload['args']).toEqual({
      url: 'https://api.example.com/x?q=1',
      method: 'POST',
      headers: [
        ['content-type', 'application/json'],
        ['x-two', 'a'],
      ],
      body: Buffer.from('{"a":1}').toString('base64'),
      redirect: 'follow',
    });
  });

  it('rejects with the host error code when the host refuses', async () => {
    w = await ready(`export default async () => { try { await fetch('http://10.0.0.1/') } catch (e) { return new Response(e.name + ':' + e.code + ':' + e.message) } }`, { allowNetwork: true });
    w.onCall = () => ({ ok: false, error: { code: 'CAPABILITY_DENIED', message: 'network access to 10.0.0.1 is not allowed: private address' } });
    expect(bodyText(await w.invoke())).toBe('TypeError:CAPABILITY_DENIED:network access to 10.0.0.1 is not allowed: private address');
  });

  it('denies fetch in the worker when the profile has no network, without asking the host', async () => {
    w = await ready(HANDLER, { allowNetwork: false });
    const m = await w.invoke();
    expect(m.payload).toMatchObject({ code: 'CAPABILITY_DENIED' });
    expect(w.messages.some((x) => x.type === 'call')).toBe(false);
    expect(w.messages.find((x) => x.type === 'denied')!.payload).toMatchObject({ capability: 'network', target: 'https://api.example.com/x?q=1' });
  });
});

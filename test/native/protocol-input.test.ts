import { afterEach, describe, expect, it } from 'vitest';
import { bodyText, NativeWorker, ready } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

describe('native worker: odd input from the host', () => {
  it('ignores lines that are not JSON or have no type, and keeps serving', async () => {
    w = await ready(`export default () => new Response('still here')`);
    w.send({ id: 1, type: 'bogus', payload: {} });
    (w as unknown as { send(m: unknown): void }).send('not an object');
    w.child.stdio[3]!.write('{ not json\n\n');
    expect(bodyText(await w.invoke())).toBe('still here');
    // stderr is a separate pipe: give it a moment to arrive.
    for (let i = 0; i < 100 && !/malformed message/.test(w.stderr); i++) await new Promise((r) => setTimeout(r, 10));
    expect(w.stderr).toMatch(/malformed message/);
  });

  it('refuses a duplicate invocation id with an error, answering the first', async () => {
    w = await ready(`export default async () => { await new Promise((r) => setTimeout(r, 30)); return new Response('first') }`);
    const payload = { method: 'GET', url: 'http://localhost/', headers: [], body: null, cpuMs: 0, timeoutMs: 0 };
    w.send({ id: 5, type: 'invoke', payload });
    w.send({ id: 5, type: 'invoke', payload });
    const dup = await w.waitFor((m) => m.id === 5 && m.type === 'error');
    expect(dup.payload['message']).toMatch(/duplicate invocation id/);
    const first = await w.waitFor((m) => m.id === 5 && m.type === 'response');
    expect(bodyText(first)).toBe('first');
  });

  it('answers a result for an unknown host call by ignoring it', async () => {
    w = await ready(`export default () => new Response('ok')`);
    w.send({ id: 1, type: 'result', payload: { call: 999, ok: true, value: {} } });
    expect(bodyText(await w.invoke())).toBe('ok');
  });

  it('rejects a request body that is not base64', async () => {
    w = await ready(`export default () => new Response('ok')`);
    w.send({ id: 9, type: 'invoke', payload: { method: 'POST', url: 'http://localhost/', headers: [], body: '***', cpuMs: 0, timeoutMs: 0 } });
    const m = await w.waitFor((x) => x.id === 9);
    expect(m.payload).toMatchObject({ code: 'HANDLER_ERROR', message: 'the request body is not valid base64' });
  });
});

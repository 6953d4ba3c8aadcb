import { afterEach, describe, expect, it } from 'vitest';
import { bodyText, NativeWorker } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

describe('native worker: hello', () => {
  it('answers ready, then a response with logs on the protocol channel', async () => {
    w = new NativeWorker();
    const r = await w.init(`export default { fetch(req, env) { console.log('hi', req.method, { a: 1 }); return new Response('hello ' + env.KEY) } }`);
    expect(r.type).toBe('ready');
    expect(r.payload).toMatchObject({ protocol: 1, runtime: 'quickjs-ng', pid: w.child.pid, features: [] });
    expect(r.payload['version']).toMatch(/^\d+\.\d+\.\d+/);

    const res = await w.invoke({ url: 'http://localhost/x' });
    expect(res.type).toBe('response');
    expect(res.payload['status']).toBe(200);
    expect(res.payload['headers']).toEqual([['content-type', 'text/plain;charset=UTF-8']]);
    expect(bodyText(res)).toBe('hello value');
    expect(res.payload['cpuMs']).toBeTypeOf('number');
    expect(res.payload['peakMemoryBytes']).toBeGreaterThan(0);
    const logs = w.messagesFor(res.id, 'log');
    expect(logs).toHaveLength(1);
    expect(logs[0]!.payload).toMatchObject({ level: 'log', message: 'hi GET { a: 1 }' });
    expect(logs[0]!.payload['time']).toBeTypeOf('number');
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { NativeWorker, ready } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

describe('native worker: CPU and wall-clock limits', () => {
  it('interrupts an infinite loop with CPU_LIMIT and keeps serving', async () => {
    w = await ready(`let n = 0; export default () => { if (n++ === 0) { for (;;) {} } return new Response('next') }`);
    const started = Date.now();
    const m = await w.invoke({ cpuMs: 100, timeoutMs: 10_000 });
    expect(m.payload['code']).toBe('CPU_LIMIT');
    expect(Date.now() - started).toBeLessThan(5000);
    const next = await w.invoke({ cpuMs: 100 });
    expect(next.type).toBe('response');
  });

  it('interrupts a handler that catches and loops again', async () => {
    w = await ready(`export default () => { for (;;) { try { for (;;) {} } catch {} } }`);
    const m = await w.invoke({ cpuMs: 50 });
    expect(m.payload['code']).toBe('CPU_LIMIT');
  });

  it('answers TIMEOUT for a busy loop past timeoutMs', async () => {
    w = await ready(`export default () => { for (;;) {} }`);
    const m = await w.invoke({ cpuMs: 0, timeoutMs: 100 });
    expect(m.payload['code']).toBe('TIMEOUT');
  });

  it('answers TIMEOUT for a handler that never settles, and fires its AbortSignal', async () => {
    w = await ready(`export default (req) => new Promise(() => { req.signal.addEventListener('abort', () => console.log('aborted:' + req.signal.reason.name)) })`);
    const m = await w.invoke({ cpuMs: 0, timeoutMs: 50 });
    expect(m.payload['code']).toBe('TIMEOUT');
    const log = await w.waitFor((x) => x.type === 'log' && x.id === m.id);
    expect(log.payload['message']).toBe('aborted:AbortError');
  });

  it('stops top-level code that spins past maxCpu with BUNDLE_LOAD_ERROR', async () => {
    w = new NativeWorker();
    const m = await w.init('for (;;) {} export default () => new Response()', { maxCpu: 100 });
    expect(m).toMatchObject({ id: 0, type: 'error', payload: { code: 'BUNDLE_LOAD_ERROR' } });
    expect(m.payload['message']).toMatch(/maxCpu/);
    expect(w.messages.filter((x) => x.type === 'error')).toHaveLength(1);
    expect(await w.exited).toEqual({ code: 0, signal: null });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { NativeWorker, ready } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

describe('native worker: maxMemory', () => {
  it('ends a memory bomb with MEMORY_LIMIT and exits non-zero (not by a signal)', async () => {
    w = await ready(`export default () => { const keep = []; for (;;) keep.push(new Array(100000).fill(keep.length)); }`, { maxMemory: 32 * 1024 * 1024 });
    const m = await w.invoke();
    expect(m.type).toBe('error');
    expect(m.payload['code']).toBe('MEMORY_LIMIT');
    expect(m.payload['message']).toMatch(/maxMemory/);
    const exit = await w.exited;
    expect(exit.signal).toBeNull();
    expect(exit.code).not.toBe(0);
  });

  it('ends a bomb the handler tries to catch with MEMORY_LIMIT too', async () => {
    w = await ready(`export default () => { try { let s = 'x'; for (;;) s = s + s; } catch (e) { return new Response('survived ' + e.message) } }`, { maxMemory: 16 * 1024 * 1024 });
    const m = await w.invoke();
    // Catching the engine's out-of-memory error does not make the heap trustworthy.
    if (m.type === 'response') {
      // A string that outgrows the engine's string length limit is a RangeError, not memory.
      expect(Buffer.from(m.payload['body'], 'base64').toString()).toMatch(/survived/);
    } else {
      expect(m.payload['code']).toBe('MEMORY_LIMIT');
    }
  });

  it('recognises running out of memory while the engine builds its own error (it throws null then)', async () => {
    w = await ready(`export default async () => { let p = Promise.resolve(); for (let i = 0; i < 1e6; i++) p = p.then(() => {}); await p; return new Response('ok') }`, { maxMemory: 32 * 1024 * 1024 });
    const m = await w.invoke();
    expect(m.payload).toMatchObject({ code: 'MEMORY_LIMIT', name: 'InternalError' });
    expect((await w.exited).code).not.toBe(0);
  });

  it('does not take a handler that throws null for an out-of-memory worker', async () => {
    w = await ready(`export default () => { throw null }`, { maxMemory: 32 * 1024 * 1024 });
    const m = await w.invoke();
    expect(m.payload).toMatchObject({ code: 'HANDLER_ERROR', message: 'null' });
  });
});

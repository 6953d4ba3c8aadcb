import { afterEach, describe, expect, it } from 'vitest';
import { bodyText, NativeWorker, ready } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

describe('native worker: async handlers and timers', () => {
  it('runs an async handler that awaits timers, in timer order', async () => {
    w = await ready(`
      export default async () => {
        const order = [];
        const done = new Promise((resolve) => {
          setTimeout(() => order.push('t20'), 20);
          setTimeout(() => order.push('t0'), 0);
          setTimeout((a, b) => order.push('t5:' + a + b), 5, 'x', 'y');
          const cleared = setTimeout(() => order.push('never'), 1);
          clearTimeout(cleared);
          let n = 0;
          const iv = setInterval(() => { if (++n === 3) { clearInterval(iv); order.push('iv3') } }, 2);
          setTimeout(resolve, 40);
        });
        queueMicrotask(() => order.push('micro'));
        Promise.resolve().then(() => order.push('then'));
        order.push('sync');
        await done;
        return new Response(order.join(','));
      }`);
    const res = await w.invoke();
    const order = bodyText(res).split(',');
    expect(order.slice(0, 3)).toEqual(['sync', 'micro', 'then']);
    expect(order.indexOf('t0')).toBeLessThan(order.indexOf('t5:xy'));
    expect(order.indexOf('t5:xy')).toBeLessThan(order.indexOf('t20'));
    expect(order).toContain('iv3');
    expect(order).not.toContain('never');
  });

  it('keeps serving invocations one after another', async () => {
    w = await ready(`let n = 0; export default async () => { await new Promise((r) => setTimeout(r, 1)); return new Response(String(++n)) }`);
    for (let i = 1; i <= 5; i++) expect(bodyText(await w.invoke())).toBe(String(i));
  });
});

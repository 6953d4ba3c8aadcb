import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

/**
 * Printing a BigInt near the engine's size limit is a single native step with
 * no interrupt check inside (about 20 s on quickjs-wasm on this machine, for
 * the power and the decimal text). The deadline still ends the call: the
 * process runtimes kill the worker, quickjs-wasm stops the sandbox's thread
 * once its stop flag went unread for a second. Either way the caller gets
 * TIMEOUT at its deadline and the pool answers the next call. The control is
 * the same step with time for it, which answers.
 */
const HANDLER = `export default { fetch(req) {
  if (req.url.endsWith('/ping')) return new Response('pong');
  let text = '';
  for (let i = 0; i < Number(new URL(req.url).searchParams.get('n')); i++) text = String(3n ** BigInt(new URL(req.url).searchParams.get('e')));
  return new Response(String(text.length));
} }`;

describe.each(RUNTIMES)('%s: a long native step', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('ends at the deadline with TIMEOUT, and the pool answers the next call; with time for it the step answers', async () => {
    p = pool(runtime, HANDLER, { minWorkers: 1, maxWorkers: 1, timeoutMs: 60_000 });
    await p.ready();
    // Minutes of steps on every runtime (Bun's BigInt is faster, so more of them): only stopping the worker ends them.
    const n = runtime === 'bun' ? 20_000 : 100;
    const started = p.stats().workersStarted;
    await expect(p.invoke({ path: `/?n=${n}&e=524288` }, { timeoutMs: 300 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect((await p.invoke({ path: '/ping' })).text()).toBe('pong');
    expect(p.stats().workersStarted, 'the stuck worker was replaced').toBe(started + 1);
    if (runtime === 'quickjs-wasm') {
      // The sandbox lived on a thread of this process: a thread still printing the number would
      // keep this idle process busy (200 ms a second and more even on a loaded machine; an idle
      // one uses next to nothing). So the thread was stopped, not merely forgotten. The
      // replacement thread's start-up and its spare sandbox come first (tens of ms of CPU,
      // more on a loaded machine): a second of settling keeps them out of the window.
      await new Promise((r) => setTimeout(r, 1000));
      const before = process.cpuUsage();
      await new Promise((r) => setTimeout(r, 2000));
      const used = process.cpuUsage(before);
      expect((used.user + used.system) / 1000, 'CPU of this process over 2 s idle (ms)').toBeLessThan(300);
    }
    expect((await p.invoke({ path: '/?n=1&e=1000' })).text(), 'the control').toBe('478');
  });
});

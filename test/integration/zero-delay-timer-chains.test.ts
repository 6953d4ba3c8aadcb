import { afterEach, describe, expect, it } from 'vitest';
import type { Pool, RuntimeName } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

/**
 * A 0 ms timer that sets the next one from its own callback (a polling loop,
 * `await new Promise((r) => setTimeout(r))` in a loop, a MessageChannel
 * whose every message sends the next) must leave the worker free to read its next message. On the
 * native worker, libuv runs in one pass every timer due when the pass began,
 * and a 0 ms timer set in the pass was due: the worker never left the pass,
 * its next call timed out and the fired timers, freed only after the pass,
 * ran it out of memory. With the fake clock, `advanceTime` never returned on
 * either QuickJS runtime. A timer set by a timer for less than 1 ms now
 * waits 1 ms, as in Node.
 */
const CHAINS: Record<string, string> = {
  'a setTimeout(f, 0) that re-arms itself': 'setTimeout(function f() { ticks++; setTimeout(f, 0); }, 0);',
  'an async loop awaiting setTimeout(r, 0)': '(async () => { for (;;) { ticks++; await new Promise((r) => setTimeout(r, 0)); } })();',
  'a MessageChannel message that sends the next': `const { port1, port2 } = new MessageChannel();
    port2.onmessage = () => { ticks++; port1.postMessage(0); };
    port1.postMessage(0);`,
};

const handler = (chain: string): string => `let calls = 0, ticks = 0;
export default { fetch() {
  if (calls++ === 0) { ${chain} }
  return Response.json({ calls, ticks });
} }`;

const FAKEABLE = RUNTIMES.filter((r): r is RuntimeName => r === 'quickjs-ng' || r === 'quickjs-wasm');

describe.each(RUNTIMES)('%s: a chain of 0 ms timers after the answer', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it.each(Object.entries(CHAINS))('%s leaves the worker answering', async (_, chain) => {
    p = pool(runtime, handler(chain), { maxWorkers: 1, timeoutMs: 10_000 });
    const exits: unknown[] = [];
    p.on('workerexit', (exit) => exits.push(exit));
    expect((await p.invoke({ path: '/' })).json()).toMatchObject({ calls: 1 });
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 2; i <= 4; i++) {
      const second = (await p.invoke({ path: '/' })).json() as { calls: number; ticks: number };
      // The same worker, its state kept: the chain neither blocked it nor had it replaced.
      expect(second.calls).toBe(i);
      expect(second.ticks).toBeGreaterThan(0);
    }
    expect(exits).toEqual([]);
  });
});

describe.each(FAKEABLE)('%s: a chain of 0 ms timers under the fake clock', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('advances 1 ms per link: advanceTime ends, and the worker keeps its state', async () => {
    p = pool(runtime, handler(CHAINS['a setTimeout(f, 0) that re-arms itself']!), { maxWorkers: 1, fakeClock: 0, timeoutMs: 10_000 });
    expect((await p.invoke({ path: '/' })).json()).toEqual({ calls: 1, ticks: 0 });
    await p.advanceTime(10);
    // The first link at 0 ms, then one per ms up to 10.
    expect((await p.invoke({ path: '/' })).json()).toEqual({ calls: 2, ticks: 11 });
  });

  it('keeps a first setTimeout(f, 0) at 0 ms', async () => {
    p = pool(
      runtime,
      `export default { async fetch() {
        const t0 = Date.now();
        await new Promise((r) => setTimeout(r, 0));
        return new Response(String(Date.now() - t0));
      } }`,
      { fakeClock: 0 },
    );
    await p.ready();
    const answer = p.invoke({ path: '/' });
    await p.advanceTime(0);
    expect((await answer).text()).toBe('0');
  });
});

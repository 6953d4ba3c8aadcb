import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { pool } from '../helpers.js';

const START = Date.UTC(2026, 0, 1);

describe('quickjs-wasm: the fake clock of the unit-test sandbox', () => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('Date, performance.now and timers move only with pool.advanceTime, timers in order', async () => {
    p = pool(
      'quickjs-wasm',
      `export default { async fetch() {
        const t0 = performance.now();
        const order = [];
        setTimeout(() => order.push('b'), 2000);
        setTimeout(() => order.push('a'), 1000);
        const startedAt = Date.now();
        await new Promise((r) => setTimeout(r, 60_000));
        return Response.json({ startedAt, now: Date.now(), date: new Date().toISOString(), elapsed: performance.now() - t0, order });
      } }`,
      { fakeClock: START },
    );
    await p.ready();
    let settled = false;
    const pending = p.invoke({ path: '/' }).then((r) => {
      settled = true;
      return r;
    });
    await p.advanceTime(59_999);
    expect(settled).toBe(false);
    await p.advanceTime(1);
    expect((await pending).json()).toEqual({
      startedAt: START,
      now: START + 60_000,
      date: new Date(START + 60_000).toISOString(),
      elapsed: 60_000,
      order: ['a', 'b'],
    });
  });

  it('advanceTime is refused without fakeClock', async () => {
    p = pool('quickjs-wasm', `export default { fetch() { return new Response('ok') } }`);
    await expect(p.advanceTime(10)).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });
});

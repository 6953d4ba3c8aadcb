import { afterEach, describe, expect, it } from 'vitest';
import type { Pool, RuntimeName } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

/** The runtimes with a fake clock (Bun has none). */
const FAKEABLE = RUNTIMES.filter((r): r is RuntimeName => r === 'quickjs-ng' || r === 'quickjs-wasm');

const START = Date.UTC(2026, 0, 1);

describe.each(FAKEABLE)('%s: the fake clock of the unit-test sandbox', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('Date, performance.now and timers move only with pool.advanceTime, timers in order', async () => {
    p = pool(
      runtime,
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

  it('Date keeps its other behaviour: arguments, Date() as a string, subclasses, intervals in order', async () => {
    p = pool(
      runtime,
      `class Stamp extends Date { kind() { return 'stamp' } }
      export default { async fetch() {
        const ticks = [];
        const id = setInterval(() => ticks.push(Date.now() - ${START}), 300);
        await new Promise((r) => setTimeout(r, 1000));
        clearInterval(id);
        return Response.json({
          fixed: new Date(2020, 0, 2, 3, 4, 5).getMonth(),
          parsed: Date.parse('2020-01-01T00:00:00Z'),
          asString: Date() === new Date(${START} + 1000).toString(),
          stamp: new Stamp().getTime(),
          stampKind: new Stamp().kind(),
          isDate: new Stamp() instanceof Date,
          ctor: new Date().constructor === Date,
          ticks,
        });
      } }`,
      { fakeClock: START },
    );
    await p.ready();
    const pending = p.invoke({ path: '/' });
    await p.advanceTime(1000);
    expect((await pending).json()).toEqual({
      fixed: 0,
      parsed: Date.UTC(2020, 0, 1),
      asString: true,
      stamp: START + 1000,
      stampKind: 'stamp',
      isDate: true,
      ctor: true,
      ticks: [300, 600, 900],
    });
  });

  it('advanceTime is refused without fakeClock', async () => {
    p = pool(runtime, `export default { fetch() { return new Response('ok') } }`);
    await expect(p.advanceTime(10)).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });

  it('advanceTime refuses what is not a number of ms >= 0, with a clear error', async () => {
    p = pool(runtime, `export default { fetch() { return new Response('ok') } }`, { fakeClock: START });
    for (const bad of [-1, NaN, Infinity, '10', Symbol('ms'), { valueOf: () => 10 }, undefined]) {
      await expect(p.advanceTime(bad as number)).rejects.toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringMatching(/^advanceTime takes a number of milliseconds >= 0, got /) });
    }
  });
});

// Forked workers inherit the engine, its contexts and the evaluated prelude
// from the zygote (QW_Prepare in native/runtime.c). What must differ between
// workers is made again in each one when it starts: Math.random's state and
// the origin of performance.now()/timeOrigin.
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, profiles, type Pool } from '../../lib/index.js';

// Top-level values: taken once per worker, when its handler module loads.
const HANDLER = `
const random = [Math.random(), Math.random()];
const now = performance.now();
const origin = performance.timeOrigin;
const wall = Date.now();
export default { async fetch() {
  await new Promise((r) => setTimeout(r, 100));
  return Response.json({ random, now, origin, wall });
} };`;

interface Seen {
  random: number[];
  now: number;
  origin: number;
  wall: number;
}

const pools: Pool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function forkedPool(workers: number): Pool {
  const p = createPool({
    runtime: 'quickjs-ng',
    capabilities: profiles.strict('zygote-prepared'),
    source: { code: HANDLER },
    minWorkers: workers,
    maxWorkers: workers,
    forkServer: true,
  });
  pools.push(p);
  return p;
}

describe('quickjs-ng: workers forked from one zygote', () => {
  it('draw their own Math.random sequences', async () => {
    const p = forkedPool(2);
    await p.ready();
    // Two calls at once, each holding its worker for 100 ms: one per worker.
    const seen = (await Promise.all([p.invoke({ path: '/' }), p.invoke({ path: '/' })])).map((r) => r.json() as Seen);
    expect(new Set(p.stats().pids).size).toBe(2);
    expect(seen[0]!.random[0]).toBeGreaterThanOrEqual(0);
    expect(seen[0]!.random[0]).toBeLessThan(1);
    expect(seen[0]!.random).not.toEqual(seen[1]!.random);
  });

  it('count performance.now() from their own start, not the zygote\'s', async () => {
    // The first pool makes sure the zygote exists, and has for a while, when the second forks.
    await forkedPool(1).ready();
    await new Promise((r) => setTimeout(r, 1500));
    const later = forkedPool(1);
    const seen = (await later.invoke({ path: '/' })).json() as Seen;
    expect(seen.now).toBeGreaterThanOrEqual(0);
    expect(seen.now).toBeLessThan(1000);
    // timeOrigin is wall-clock time (ms since the epoch), as on the web.
    expect(Math.abs(seen.origin + seen.now - seen.wall)).toBeLessThan(50);
  });
});

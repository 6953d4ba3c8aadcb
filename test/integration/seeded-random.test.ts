import { afterEach, describe, expect, it } from 'vitest';
import type { Pool, RuntimeName } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

/** The runtimes that take a randomSeed (Bun draws from the kernel only). */
const SEEDABLE = RUNTIMES.filter((r): r is RuntimeName => r === 'quickjs-ng' || r === 'quickjs-wasm');

const HANDLER = `export default { fetch() {
  const bytes = Array.from(crypto.getRandomValues(new Uint8Array(7)));
  const words = Array.from(crypto.getRandomValues(new Uint32Array(2)));
  return Response.json({ random: [Math.random(), Math.random()], bytes, words, uuid: crypto.randomUUID() });
} }`;

const pools: Pool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

/** Two invocations of one fresh pool: the second continues the first's sequence. */
const run = async (runtime: RuntimeName, randomSeed: number | undefined): Promise<unknown[]> => {
  const p = pool(runtime, HANDLER, randomSeed === undefined ? { maxWorkers: 1 } : { randomSeed, maxWorkers: 1 });
  pools.push(p);
  return [(await p.invoke({ path: '/' })).json(), (await p.invoke({ path: '/' })).json()];
};

describe.each(SEEDABLE)('%s: seeded randomness of the unit-test sandbox', (runtime) => {
  it('the same seed gives the same Math.random, getRandomValues and randomUUID; another seed does not', async () => {
    const a = await run(runtime, 7);
    const b = await run(runtime, 7);
    const c = await run(runtime, 8);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    expect(a[1]).not.toEqual(a[0]);
    const { random, uuid } = a[0] as { random: number[]; uuid: string };
    for (const x of random) expect(x >= 0 && x < 1).toBe(true);
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('negative and large seeds work as their value modulo 2^32; without a seed two pools differ', async () => {
    expect(await run(runtime, -1)).toEqual(await run(runtime, 2 ** 32 - 1));
    expect(await run(runtime, undefined)).not.toEqual(await run(runtime, undefined));
  });
});

describe.runIf(SEEDABLE.length === 2)('seeded randomness across runtimes', () => {
  it('one seed gives one run on quickjs-ng and quickjs-wasm', async () => {
    expect(await run('quickjs-ng', 1234)).toEqual(await run('quickjs-wasm', 1234));
  });
});

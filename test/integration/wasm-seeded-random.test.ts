import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { pool } from '../helpers.js';

const HANDLER = `export default { fetch() {
  const bytes = Array.from(crypto.getRandomValues(new Uint8Array(8)));
  return Response.json({ random: [Math.random(), Math.random()], bytes, uuid: crypto.randomUUID() });
} }`;

describe('quickjs-wasm: seeded randomness of the unit-test sandbox', () => {
  const pools: Pool[] = [];
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close()));
  });
  const run = async (randomSeed: number): Promise<unknown> => {
    const p = pool('quickjs-wasm', HANDLER, { randomSeed });
    pools.push(p);
    return (await p.invoke({ path: '/' })).json();
  };

  it('the same seed gives the same Math.random, getRandomValues and randomUUID; another seed does not', async () => {
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    const { random } = a as { random: number[] };
    for (const x of random) expect(x >= 0 && x < 1).toBe(true);
  });
});

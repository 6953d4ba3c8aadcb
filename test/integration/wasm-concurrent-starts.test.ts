import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { pool } from '../helpers.js';

describe('quickjs-wasm: sandboxes started together', () => {
  it('more sandboxes than threads, all started at once, all answer', async () => {
    // tinypool hands a queued task to a thread one at a time, and a sandbox's task lasts as long
    // as the sandbox: more sandboxes than threads, started before any thread is ready, is the case.
    const count = availableParallelism() + 3;
    const pools = Array.from({ length: count }, () => pool('quickjs-wasm', `export default { fetch() { return new Response('up') } }`, { maxWorkers: 1 }));
    try {
      const answers = await Promise.all(pools.map(async (p) => (await p.invoke({ path: '/' })).text()));
      expect(answers).toEqual(Array.from({ length: count }, () => 'up'));
    } finally {
      await Promise.all(pools.map((p) => p.close()));
    }
  });
});

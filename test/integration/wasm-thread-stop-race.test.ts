import { describe, expect, it } from 'vitest';
import { pool } from '../helpers.js';
// The thread stop is the sandbox transport's last resort (a sandbox that no longer reaches its
// interrupt checks); called here directly so that it lands while sandboxes are ending.
import { stopThread } from '../../dist/workers/wasm/threads.js';

/**
 * A stopped thread is terminated asynchronously: a sandbox on it that ended
 * just before may already have posted its end. The thread pool then hears of
 * a task it has forgotten and reports an error on itself; with nobody
 * listening, that error took the host process down (found by a handler
 * setting 200,000 timers beside other tenants' sandboxes).
 */
describe('quickjs-wasm: a thread stopped while its sandboxes end', () => {
  it('does not take the host down, and new sandboxes start on fresh threads', async () => {
    for (let round = 0; round < 6; round++) {
      const pools = Array.from({ length: 4 }, () => pool('quickjs-wasm', `export default { fetch() { return new Response('up') } }`, { maxWorkers: 1 }));
      await Promise.all(pools.map((p) => p.invoke({ path: '/' })));
      const closing = Promise.all(pools.map((p) => p.destroy()));
      // A spread of moments around the sandboxes' ends: their ends may be in flight when the stop lands.
      await new Promise((r) => setTimeout(r, round % 4));
      for (let threadId = 1; threadId < 256; threadId++) stopThread(threadId);
      await closing;
    }
    const after = pool('quickjs-wasm', `export default { fetch() { return new Response('still up') } }`);
    try {
      expect((await after.invoke({ path: '/' })).text()).toBe('still up');
    } finally {
      await after.close();
    }
  }, 90_000);
});

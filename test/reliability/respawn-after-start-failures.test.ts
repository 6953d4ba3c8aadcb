import { describe, expect, it } from 'vitest';
import { PROCESS_RUNTIMES, killWhileStarting, pool, slowStart, watchdog } from '../helpers.js';

const HANDLER = slowStart(400, `export default { fetch() { return new Response('up') } }`);

// Processes killed, stopped or starved of descriptors: quickjs-wasm workers are not processes.
describe.each(PROCESS_RUNTIMES)('%s: start failures in a row', (runtime) => {
  it('two workers killed while starting: the pool still reaches minWorkers, serves, and closes', async () => {
    const p = pool(runtime, HANDLER, { minWorkers: 1, maxWorkers: 1 });
    try {
      await killWhileStarting(p, 2);
      const answer = await watchdog(p.invoke({ path: '/' }), 20_000, 'invoke() after two start failures');
      expect(answer.text()).toBe('up');
      expect(p.stats().startFailures).toBe(2);
      expect(p.stats().workers.ready).toBe(1);
    } finally {
      await watchdog(p.close(), 20_000, 'close()');
    }
  });
});

import { describe, expect, it } from 'vitest';
import { PROCESS_RUNTIMES, outcome, pool, watchdog } from '../helpers.js';

// Processes killed, stopped or starved of descriptors: quickjs-wasm workers are not processes.
describe.each(PROCESS_RUNTIMES)('%s: a hung worker', (runtime) => {
  it('costs one replacement: invocations queued behind it expire in the queue or run, none kills a fresh worker', async () => {
    // A well-behaved handler that takes 30 ms: the calls that reach the replacement with less left overrun.
    const p = pool(runtime, `export default { async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === '/hang') await new Promise(() => {});
      await new Promise((r) => setTimeout(r, 30));
      return new Response(path);
    } }`, {
      maxWorkers: 1,
      minWorkers: 1,
      timeoutMs: 600,
    });
    try {
      await p.ready();
      const [pid] = p.stats().pids;
      // Hung twice over: a handler that never answers, in a stopped process.
      const calls = [outcome(p.invoke({ path: '/hang' }))];
      process.kill(pid as number, 'SIGSTOP');
      // Arrivals spread over the hang and the replacement's start-up: some reach it with little time left.
      for (let i = 0; i < 30; i++) {
        calls.push(outcome(p.invoke({ path: `/${i}` })));
        await new Promise((r) => setTimeout(r, 40));
      }
      const results = await watchdog(Promise.all(calls), 30_000, 'invocations');
      expect(results[0]).toBe('TIMEOUT');
      results.slice(1).forEach((r, i) => expect([`/${i}`, 'TIMEOUT']).toContain(r));
      // The stopped worker and one replacement; no cascade of replacements.
      expect(p.stats().workersStarted).toBe(2);
      expect(p.stats().invocations.byCode.WORKER_CRASHED ?? 0).toBe(0);
    } finally {
      await p.close();
    }
  });
});

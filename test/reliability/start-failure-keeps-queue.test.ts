import { describe, expect, it } from 'vitest';
import { PROCESS_RUNTIMES, RUNTIMES, killWhileStarting, outcomes, pool, slowStart, watchdog } from '../helpers.js';

// Workers killed by pid while starting: quickjs-wasm workers are not processes.
describe.each(PROCESS_RUNTIMES)('%s: queued work and a worker killed while starting', (runtime) => {
  it('one worker killed while starting: queued invocations wait for its replacement and all succeed', async () => {
    const p = pool(runtime, slowStart(400, `export default { fetch(req) { return new Response(new URL(req.url).pathname) } }`), {
      maxWorkers: 1,
    });
    try {
      const calls = Array.from({ length: 10 }, (_, i) => p.invoke({ path: `/${i}` }));
      await killWhileStarting(p, 1);
      const results = await watchdog(outcomes(calls), 30_000, 'queued invocations');
      expect(results).toEqual(Array.from({ length: 10 }, (_, i) => `/${i}`));
    } finally {
      await p.close();
    }
  });
});

describe.each(RUNTIMES)('%s: queued work and start failures', (runtime) => {
  it('a start failure that persists fails queued work with the start error', async () => {
    // Top-level code that never finishes: every start times out (WORKER_CRASHED), attempt after attempt.
    const p = pool(runtime, `for (;;) {}\nexport default { fetch() { return new Response('never') } }`, {
      maxWorkers: 1,
      startTimeoutMs: 200,
      timeoutMs: 0,
    });
    try {
      const calls = Array.from({ length: 3 }, () => p.invoke({ path: '/' }));
      const results = await watchdog(outcomes(calls), 30_000, 'queued invocations');
      expect(results).toEqual(['WORKER_CRASHED', 'WORKER_CRASHED', 'WORKER_CRASHED']);
      const error = await p.invoke({ path: '/' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'WORKER_CRASHED' });
      expect((error as Error).message).toMatch(/startTimeoutMs/);
    } finally {
      await watchdog(p.close(), 20_000, 'close()');
    }
  });

  it("a call whose deadline comes while the only worker is still starting says so, not that workers were busy", async () => {
    const p = pool(runtime, `await new Promise(() => {});\nexport default { fetch() { return new Response('never') } }`, {
      maxWorkers: 1,
      startTimeoutMs: 20_000,
    });
    try {
      const error = await watchdog(p.invoke({ path: '/' }, { timeoutMs: 300 }).catch((e: unknown) => e), 10_000, 'the call');
      expect(error).toMatchObject({ code: 'TIMEOUT' });
      expect((error as Error).message).toMatch(/still starting.*top-level code.*startTimeoutMs, 20000 ms/);
    } finally {
      await watchdog(p.close(), 20_000, 'close()');
    }
  });
});

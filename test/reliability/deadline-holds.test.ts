import { describe, expect, it } from 'vitest';
import { RUNTIMES, outcome, outcomes, pool, watchdog } from '../helpers.js';

const HANDLER = `export default { async fetch(req) {
  const path = new URL(req.url).pathname;
  if (path === '/hang') await new Promise(() => {});
  if (path === '/busy') { const until = Date.now() + 250; while (Date.now() < until) {} }
  return new Response(path);
} }`;

/** Keeps this (the host's) event loop busy, as a loaded host would be. */
function blockHost(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // Spin.
  }
}

describe.each(RUNTIMES)('%s: deadlines', (runtime) => {
  it('a worker past a deadline gets nothing new: the invocation queued behind it runs on the replacement', async () => {
    const p = pool(runtime, HANDLER, { maxWorkers: 1, concurrency: 1 });
    try {
      await p.ready();
      const calls = [p.invoke({ path: '/hang' }, { timeoutMs: 300 }), p.invoke({ path: '/next' }, { timeoutMs: 20_000 })];
      expect(await watchdog(outcomes(calls), 30_000, 'invocations')).toEqual(['TIMEOUT', '/next']);
    } finally {
      await p.close();
    }
  });

  it('an answer that arrives after the deadline is TIMEOUT even when the host reads it late, and the next call is not sent to a dying worker', async () => {
    const p = pool(runtime, HANDLER, { maxWorkers: 1 });
    try {
      await p.ready();
      const [pid] = p.stats().pids;
      const late = outcome(p.invoke({ path: '/busy' }, { timeoutMs: 150 }));
      const next = outcome(p.invoke({ path: '/next' }, { timeoutMs: 20_000 }));
      // The answer (after 250 ms) and the deadline (150 ms) are both pending when the host looks again.
      blockHost(800);
      expect(await watchdog(Promise.all([late, next]), 20_000, 'the invocations')).toEqual(['TIMEOUT', '/next']);
      // It ran for its whole deadline: its worker was replaced.
      expect(p.stats().pids).not.toContain(pid);
    } finally {
      await p.close();
    }
  });
});

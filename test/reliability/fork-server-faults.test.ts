import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FORK_SPARES } from '../../lib/workers/fork-server.js';
import { alive, pool, waitFor } from '../helpers.js';

// QuickJS-NG workers come from the fork server (docs/fork-server.md). Its
// faults: killed under load, stopped (it never answers), and, in
// out-of-descriptors.test.ts, a host out of descriptors.
const SLOW = `export default { async fetch(req) { await new Promise((r) => setTimeout(r, 200)); return new Response(new URL(req.url).pathname) } }`;

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

const outcome = (call: Promise<{ text(): string }>): Promise<string> =>
  call.then(
    (r) => r.text(),
    (e: { code?: string }) => e.code ?? String(e),
  );

describe('quickjs-ng: fork server faults', () => {
  it('the zygote killed under load: its calls fail with WORKER_CRASHED, the pool goes on from a new zygote', async () => {
    const p = pool('quickjs-ng', SLOW, { minWorkers: 2, maxWorkers: 2 });
    p.on('error', () => {});
    try {
      await p.ready();
      const zygote = parentOf(p.stats().pids[0]!);
      expect(zygote).not.toBe(process.pid);
      const calls = Array.from({ length: 10 }, (_, i) => outcome(p.invoke({ path: `/${i}` })));
      await new Promise((r) => setTimeout(r, 50));
      process.kill(zygote, 'SIGKILL');
      const results = await Promise.all(calls);
      results.forEach((r, i) => expect([`/${i}`, 'WORKER_CRASHED']).toContain(r));
      expect(results).toContain('WORKER_CRASHED');
      // Served again, by workers of another zygote.
      expect(await outcome(p.invoke({ path: '/after' }))).toBe('/after');
      const next = parentOf(p.stats().pids[0]!);
      expect(next).not.toBe(zygote);
      expect(next).not.toBe(process.pid);
    } finally {
      await p.close();
    }
  });

  it('a stopped zygote is replaced: its spares serve meanwhile, the fork it never answers condemns it, the next zygote serves', async () => {
    const first = pool('quickjs-ng', SLOW, { minWorkers: 1, maxWorkers: 1 });
    await first.ready();
    const zygote = parentOf(first.stats().pids[0]!);
    await first.close();
    process.kill(zygote, 'SIGSTOP');
    // The spares were forked before it stopped and work; one more worker needs a fork it never answers.
    const n = FORK_SPARES + 1;
    const p = pool('quickjs-ng', SLOW, { maxWorkers: n });
    p.on('error', () => {});
    try {
      const paths = Array.from({ length: n }, (_, i) => `/stopped-${i}`);
      expect(await Promise.all(paths.map((path) => outcome(p.invoke({ path }))))).toEqual(paths);
      const spares = p.stats().pids;
      // The fork it never answers makes the host kill it (SIGKILL works on a stopped process), and its workers with it.
      await waitFor(() => !alive(zygote) || readFileSync(`/proc/${zygote}/stat`, 'utf8').includes(') Z'), 15_000);
      // A call sent to one of them before its end is seen would be WORKER_CRASHED (docs/fork-server.md).
      await waitFor(() => !p.stats().pids.some((pid) => spares.includes(pid)), 10_000);
      expect(await outcome(p.invoke({ path: '/after' }))).toBe('/after');
      expect(p.stats().pids.map(parentOf)).not.toContain(zygote);
    } finally {
      if (alive(zygote)) process.kill(zygote, 'SIGCONT');
      await p.close();
    }
  });
});

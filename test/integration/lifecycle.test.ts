import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, alive, pool, waitFor } from '../helpers.js';

const HELLO = `export default { fetch() { return new Response('ok') } }`;

describe.each(RUNTIMES)('%s: worker lifecycle', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('recycles a worker after recycleAfter invocations', async () => {
    p = pool(runtime, HELLO, { recycleAfter: 3, maxWorkers: 1 });
    const workerIds: number[] = [];
    for (let i = 0; i < 7; i++) workerIds.push((await p.invoke({ path: '/' })).metrics.workerId);
    expect(workerIds).toEqual([1, 1, 1, 2, 2, 2, 3]);
    expect(p.stats().coldStarts).toBe(3);
  });

  it('stops idle workers above minWorkers after idleTimeoutMs', { timeout: 30_000 }, async () => {
    p = pool(runtime, `export default { async fetch() { await new Promise((r) => setTimeout(r, 50)); return new Response('ok') } }`, {
      minWorkers: 1,
      maxWorkers: 3,
      // Long enough that the first worker to finish is not stopped before the last one
      // answers: on a loaded machine quickjs-wasm workers' starts were 200 ms apart.
      idleTimeoutMs: 2000,
    });
    await Promise.all([p.invoke({ path: '/' }), p.invoke({ path: '/' }), p.invoke({ path: '/' })]);
    expect(p.stats().workers.total).toBe(3);
    const pids = p.stats().pids;
    await waitFor(() => p?.stats().workers.total === 1, 15_000);
    // quickjs-wasm workers have no pid of their own; for the others, one process is left.
    if (pids.length > 0) expect(pids.filter((pid) => alive(pid))).toHaveLength(1);
  });

  it('emits typed events: workerstart, invocation, log, workerexit', async () => {
    p = pool(runtime, `export default { fetch() { console.warn('careful'); return new Response('ok') } }`);
    const seen: string[] = [];
    p.on('workerstart', (e) => seen.push(`start:${e.runtime}`));
    p.on('log', (e) => seen.push(`log:${e.level}:${e.message}:${e.projectId}`));
    p.on('invocation', (e) => seen.push(`invocation:${e.status}`));
    p.on('workerexit', () => seen.push('exit'));
    await p.invoke({ path: '/' });
    await p.close();
    expect(seen).toEqual([`start:${runtime}`, 'log:warn:careful:test-project', 'invocation:200', 'exit']);
  });
});

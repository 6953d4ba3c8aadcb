import { expect } from 'vitest';
import { createPool, profiles, type CapabilityOverrides, type InvokeResponse, type PoolOptions, type RuntimeName } from 'bunbase-functions';
import { alive, waitFor } from '../helpers.js';

/**
 * Resource-exhaustion attacks share one shape: a pool whose handler runs the
 * attack on `/attack?n=<size>` (`n` is `Infinity` for the attack, a small
 * number for the positive control) and answers `alive` on `/`. The pool is
 * asked for the attack, then for `/`: it must answer, from a new process when
 * the attack cost the worker its life, and every process it started must be
 * gone once it is closed.
 */
export interface ExhaustionCase {
  /** The body of `async fetch(req)`, with `n` (a number, possibly Infinity) in scope. */
  body: string;
  caps?: CapabilityOverrides;
  pool?: Partial<PoolOptions>;
  /** The size of the positive control's run. */
  controlN: number;
}

export interface ExhaustionResult {
  /** The attack's error code, or undefined if it answered. */
  code: string | undefined;
  response: InvokeResponse | undefined;
  /** The worker that ran the attack was replaced. */
  replaced: boolean;
  control: InvokeResponse;
  hostRssGrowth: number;
}

export async function exhaust(runtime: RuntimeName, c: ExhaustionCase): Promise<ExhaustionResult> {
  const pids = new Set<number>();
  const pool = createPool({
    runtime,
    capabilities: profiles.custom('exhauster', c.caps ?? {}),
    source: {
      code: `export default { async fetch(req) {
        const url = new URL(req.url);
        if (url.pathname !== '/attack') return new Response('alive');
        const n = Number(url.searchParams.get('n'));
        ${c.body}
      } }`,
    },
    minWorkers: 1,
    maxWorkers: 1,
    timeoutMs: 2000,
    ...c.pool,
  });
  pool.on('workerstart', (e) => pids.add(e.pid));
  pool.on('error', () => {});
  try {
    await pool.ready();
    const [first] = pool.stats().pids;
    if (first === undefined) throw new Error('no worker');
    const rssBefore = process.memoryUsage().rss;
    let code: string | undefined;
    let response: InvokeResponse | undefined;
    try {
      response = await pool.invoke({ path: '/attack?n=Infinity' });
    } catch (error) {
      code = (error as { code?: string }).code ?? String(error);
    }
    const hostRssGrowth = process.memoryUsage().rss - rssBefore;
    // The pool carries on: the next call is answered.
    expect((await pool.invoke({ path: '/' })).text()).toBe('alive');
    const replaced = !pool.stats().pids.includes(first);
    if (replaced) await waitFor(() => !alive(first), 5000);
    // The positive control: the same code, bounded, completes under the same limits.
    const control = await pool.invoke({ path: `/attack?n=${c.controlN}` });
    return { code, response, replaced, control, hostRssGrowth };
  } finally {
    for (const pid of pool.stats().pids) pids.add(pid);
    await pool.close();
    await waitFor(() => [...pids].every((pid) => !alive(pid)), 5000);
  }
}

export const MB = 1024 * 1024;

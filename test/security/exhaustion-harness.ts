import { expect } from 'vitest';
import { createPool, profiles, type CapabilityOverrides, type InvokeResponse, type PoolOptions, type RuntimeName } from 'bunbase-functions';
import { expectAllGone, trackWorkers } from './harness.js';

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

/** The deadline of the calls after the attack (the next answer and the control). */
const AFTER_MS = 10_000;

export async function exhaust(runtime: RuntimeName, c: ExhaustionCase): Promise<ExhaustionResult> {
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
  const workers = trackWorkers(pool, runtime);
  pool.on('error', () => {});
  try {
    await pool.ready();
    const [first] = workers.live();
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
    // The pool carries on: the next call is answered. Its own deadline is roomy: it may
    // include starting the replacement, which is not what is measured here.
    expect((await pool.invoke({ path: '/' }, { timeoutMs: AFTER_MS })).text()).toBe('alive');
    // By worker id, which every runtime has (a quickjs-wasm worker has no pid of its own);
    // with maxWorkers 1 a second start means the first worker is gone, even before its exit is reported.
    const replaced = workers.exited.has(first) || workers.started.size > 1;
    // The positive control: the same code, bounded, completes under the same limits.
    const control = await pool.invoke({ path: `/attack?n=${c.controlN}` }, { timeoutMs: AFTER_MS });
    return { code, response, replaced, control, hostRssGrowth };
  } finally {
    await expectAllGone(pool, runtime, workers);
  }
}

export const MB = 1024 * 1024;

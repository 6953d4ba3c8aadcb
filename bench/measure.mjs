// Measurements shared by the benchmarks. Each returns plain numbers; run.mjs prints them.
import { readFileSync } from 'node:fs';
import { createPool, profiles } from 'bunbase-functions';
import { callsInFlight } from './rounds.mjs';

export const HANDLER = `export default { fetch(req) { return new Response('ok') } }`;

export function percentile(samples, q) {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function newPool(runtime, options = {}) {
  return createPool({ runtime, capabilities: profiles.strict('bench'), source: { code: HANDLER }, ...options });
}

/** New pool to first response, and the worker's own spawn-to-ready time. */
export async function coldStart(runtime, runs) {
  const firstResponse = [];
  const spawnToReady = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const pool = newPool(runtime);
    let ready;
    pool.once('workerstart', (e) => (ready = e.info.startMs));
    await pool.invoke({ path: '/' });
    firstResponse.push(performance.now() - started);
    spawnToReady.push(ready);
    await pool.close();
  }
  return { firstResponse, spawnToReady };
}

/** Sequential invocations on one warm worker. Returns per-call latency in ms. */
export async function warmLatency(runtime, calls, warmup) {
  const pool = newPool(runtime, { minWorkers: 1, maxWorkers: 1 });
  try {
    for (let i = 0; i < warmup; i++) await pool.invoke({ path: '/' });
    const samples = new Float64Array(calls);
    for (let i = 0; i < calls; i++) {
      const t = performance.now();
      await pool.invoke({ path: '/' });
      samples[i] = performance.now() - t;
    }
    return [...samples];
  } finally {
    await pool.close();
  }
}

/** Invocations per second with `workers` workers and `inFlight` calls outstanding. */
export async function throughput(runtime, workers, total, inFlight) {
  const pool = newPool(runtime, { minWorkers: workers, maxWorkers: workers, maxQueue: inFlight * 2 });
  try {
    await pool.ready();
    for (let i = 0; i < 200; i++) await pool.invoke({ path: '/' });
    const started = performance.now();
    await callsInFlight(inFlight, total, () => pool.invoke({ path: '/' }));
    return total / ((performance.now() - started) / 1000);
  } finally {
    await pool.close();
  }
}

function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return Number(match[1]) * 1024;
}

/**
 * Resident memory of each idle worker after it has served a few calls. A
 * quickjs-wasm worker is no process: its figure is how much this process
 * grew per worker, with the threads and the engine already loaded.
 */
export async function idleRss(runtime, workers) {
  if (runtime === 'quickjs-wasm') return [await hostGrowthPerWorker(runtime, workers)];
  const pool = newPool(runtime, { minWorkers: workers, maxWorkers: workers });
  try {
    await pool.ready();
    await Promise.all(Array.from({ length: workers * 4 }, () => pool.invoke({ path: '/' })));
    await new Promise((r) => setTimeout(r, 300));
    return pool.stats().pids.map(rssBytes);
  } finally {
    await pool.close();
  }
}

async function hostGrowthPerWorker(runtime, workers) {
  const warm = newPool(runtime);
  await warm.invoke({ path: '/' });
  await warm.close();
  const before = process.memoryUsage().rss;
  const pool = newPool(runtime, { minWorkers: workers, maxWorkers: workers });
  try {
    await pool.ready();
    await Promise.all(Array.from({ length: workers * 4 }, () => pool.invoke({ path: '/' })));
    await new Promise((r) => setTimeout(r, 300));
    return (process.memoryUsage().rss - before) / workers;
  } finally {
    await pool.close();
  }
}

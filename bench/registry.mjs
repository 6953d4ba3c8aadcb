// Registry benchmark (not a test): 10 000 registered functions, 1 000 of them
// invoked in turn under a global budget of 200 workers, so most calls open a
// pool and evict another; then the registry's own overhead on a warm pool.
//   npm run bench:registry
//   REGISTRY_BENCH_RUNTIME=bun npm run bench:registry   (Bun workers; slower cold starts)
//   BENCH_QUICK=1 npm run bench:registry                 (1 000 registered, 300 invoked, budget 60)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, createRegistry } from 'bunbase-functions';
import { percentile } from './measure.mjs';

const runtime = process.env.REGISTRY_BENCH_RUNTIME ?? 'quickjs-ng';
const quick = process.env.BENCH_QUICK === '1';
const REGISTERED = quick ? 1000 : 10_000;
const INVOKED = quick ? 300 : 1000;
const BUDGET = quick ? 60 : 200;
const PROJECTS = 100;
const PASSES = 2;
const WARM_CALLS = quick ? 5000 : 20_000;

const code = (n) => `export default { fetch(req) { return new Response('function ${n}') } }`;
const us = (ms) => (ms * 1000).toFixed(1);
const dir = mkdtempSync(join(tmpdir(), 'registry-bench-'));
const registry = await createRegistry({
  database: join(dir, 'registry.db'),
  maxWorkers: BUDGET,
  maxProjectConcurrency: BUDGET,
  idlePoolMs: 0,
});

try {
  // Registration: a sample with the start-up check (one worker each); the bulk
  // through a second registry on the same file that skips it (verifyBundles: false).
  const ids = [];
  const checked = [];
  const bulk = await createRegistry({ database: join(dir, 'registry.db'), verifyBundles: false });
  let started = performance.now();
  for (let n = 0; n < REGISTERED; n++) {
    const input = { id: `fn-${n}`, name: `fn-${n}`, projectId: `project-${n % PROJECTS}`, runtime, source: { code: code(n) }, capabilities: {} };
    ids.push(input.id);
    if (n < 20) {
      const t = performance.now();
      await registry.register(input);
      checked.push(performance.now() - t);
      started = performance.now();
    } else {
      await bulk.register(input);
    }
  }
  const registerMs = performance.now() - started;
  await bulk.close();
  process.stderr.write(`registered ${REGISTERED} functions\n`);

  // 1 000 functions in turn, several passes: under a budget of 200 every call after the first 200 opens a pool and evicts one.
  const samples = [];
  const firstPass = [];
  started = performance.now();
  for (let pass = 0; pass < PASSES; pass++) {
    for (let i = 0; i < INVOKED; i++) {
      const id = ids[(i * Math.floor(REGISTERED / INVOKED)) % REGISTERED];
      const t = performance.now();
      const response = await registry.invoke(id, { path: '/' });
      const elapsed = performance.now() - t;
      if (response.status !== 200) throw new Error(`unexpected status ${response.status}`);
      samples.push(elapsed);
      if (pass === 0) firstPass.push(elapsed);
    }
  }
  const turnMs = performance.now() - started;
  const stats = registry.stats();
  if (stats.reservedWorkers > BUDGET) throw new Error(`budget exceeded: ${stats.reservedWorkers}`);

  // Warm: the registry's path against the same pool configuration called directly, alternating.
  const warmId = ids[0];
  const direct = createPool({ runtime, capabilities: { projectId: 'project-0' }, source: { code: code(0) }, maxWorkers: 1 });
  for (let i = 0; i < 500; i++) {
    await registry.invoke(warmId, { path: '/' });
    await direct.invoke({ path: '/' });
  }
  const viaRegistry = [];
  const viaPool = [];
  const syncRegistry = [];
  const syncPool = [];
  for (let i = 0; i < WARM_CALLS; i++) {
    let t = performance.now();
    let pending = registry.invoke(warmId, { path: '/' });
    syncRegistry.push(performance.now() - t);
    await pending;
    viaRegistry.push(performance.now() - t);
    t = performance.now();
    pending = direct.invoke({ path: '/' });
    syncPool.push(performance.now() - t);
    await pending;
    viaPool.push(performance.now() - t);
  }
  // Host CPU per call (user + system of this process), in alternating blocks:
  // less sensitive to other processes on the machine than wall-clock round trips.
  const BLOCK = 500;
  const cpuRegistry = [];
  const cpuPool = [];
  const cpuPerCall = async (call) => {
    const before = process.cpuUsage();
    for (let i = 0; i < BLOCK; i++) await call();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000 / BLOCK;
  };
  for (let block = 0; block < WARM_CALLS / BLOCK; block++) {
    cpuRegistry.push(await cpuPerCall(() => registry.invoke(warmId, { path: '/' })));
    cpuPool.push(await cpuPerCall(() => direct.invoke({ path: '/' })));
  }
  await direct.close();

  const median = (a) => percentile(a, 0.5);
  // Mean of the middle 80%: steadier than the median against the machine's noise, blind to rare stalls.
  const trimmedMean = (a) => {
    const sorted = [...a].sort((x, y) => x - y).slice(Math.floor(a.length * 0.1), Math.ceil(a.length * 0.9));
    return sorted.reduce((x, y) => x + y, 0) / sorted.length;
  };
  const rows = [
    [`register with the start-up check, p50 (ms, ${checked.length} samples)`, median(checked).toFixed(2)],
    [`register without it, mean (ms, ${REGISTERED - checked.length} calls)`, (registerMs / (REGISTERED - checked.length)).toFixed(2)],
    [`invoke in turn over ${INVOKED} functions, budget ${BUDGET}: p50 (ms)`, median(samples).toFixed(2)],
    [`invoke in turn: p99 (ms)`, percentile(samples, 0.99).toFixed(2)],
    [`invoke in turn, first pass only: p50 / p99 (ms)`, `${median(firstPass).toFixed(2)} / ${percentile(firstPass, 0.99).toFixed(2)}`],
    [`invocations per second in turn (one at a time)`, ((PASSES * INVOKED) / (turnMs / 1000)).toFixed(0)],
    [`pools opened / evicted`, `${stats.pools.opened} / ${stats.pools.evicted}`],
    [`warm registry.invoke round trip, p50 (µs)`, us(median(viaRegistry))],
    [`warm pool.invoke round trip, same config, p50 (µs)`, us(median(viaPool))],
    [`registry overhead, difference of p50 round trips (µs)`, us(median(viaRegistry) - median(viaPool))],
    [`registry overhead, difference of trimmed-mean round trips (µs)`, us(trimmedMean(viaRegistry) - trimmedMean(viaPool))],
    [`registry overhead, synchronous part: p50 of registry.invoke() minus pool.invoke() call time (µs)`, us(median(syncRegistry) - median(syncPool))],
    [`host CPU per warm call, registry.invoke / pool.invoke, p50 of ${cpuRegistry.length} blocks of ${BLOCK} (µs)`, `${us(median(cpuRegistry))} / ${us(median(cpuPool))}`],
    [`registry overhead in host CPU per call, difference of those p50s (µs)`, us(median(cpuRegistry) - median(cpuPool))],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`| measure (${runtime}) | value |`);
  console.log(`|${'-'.repeat(width + 2)}|------:|`);
  for (const [label, value] of rows) console.log(`| ${label.padEnd(width)} | ${value} |`);
  console.log(
    `\n(${REGISTERED} functions in ${PROJECTS} projects, ${INVOKED} invoked in turn x ${PASSES} passes, budget ${BUDGET}, ${WARM_CALLS} warm calls each way; node ${process.version}, ${new Date().toISOString()})`,
  );
} finally {
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
}

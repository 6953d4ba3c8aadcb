// CPU per call of quickjs-wasm with `inline: true` (the sandbox on the host
// thread, so process.cpuUsage holds all of a call: the pool, the binding,
// the prelude, the handler), and the wall time per call, on the hello and
// json workloads of bench/plain-bun.mjs (the ones bench/instructions-per-call.mjs
// counts on the native worker).
//
// With --baseline=DIR (another checkout of this repository, built: its
// dist/), that build's pool runs in the same process, in the same rounds,
// taking turns batch by batch, so the machine's load falls on both alike:
// a before/after of the prelude in one run.
//
// usage: node bench/wasm-cpu-per-call.mjs [--baseline=DIR] [--calls=1000] [--rounds=10] [--workloads=hello,json]
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WORKLOADS } from './plain-bun.mjs';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? ''];
  }),
);
const CALLS = Number(args.get('calls') || 1000);
const ROUNDS = Number(args.get('rounds') || 10);
const WORKLOAD_NAMES = (args.get('workloads') || 'hello,json').split(',');
const WARMUP = 500;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function load(dir, name) {
  const lib = await import(pathToFileURL(join(dir, 'dist', 'index.js')).href);
  return { name, lib };
}

const builds = [await load(resolve(import.meta.dirname, '..'), 'this build')];
if (args.get('baseline')) builds.unshift(await load(resolve(args.get('baseline')), `baseline (${args.get('baseline')})`));

console.log(`quickjs-wasm, inline: true: CPU (process.cpuUsage) and wall time per call, medians of ${ROUNDS} rounds of ${CALLS} calls, builds taking turns`);
for (const workloadName of WORKLOAD_NAMES) {
  const workload = WORKLOADS[workloadName];
  const pools = builds.map(({ lib }) =>
    lib.createPool({
      runtime: 'quickjs-wasm',
      inline: true,
      minWorkers: 1,
      maxWorkers: 1,
      capabilities: lib.profiles.strict('bench'),
      source: { code: workload.code },
    }),
  );
  for (const pool of pools) {
    for (let i = 0; i < WARMUP; i++) {
      const res = await pool.invoke(workload.request);
      if (res.status !== 200) throw new Error(`${workloadName}: status ${res.status}`);
    }
  }
  const cpu = pools.map(() => []);
  const wall = pools.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [k, pool] of pools.entries()) {
      const before = process.cpuUsage();
      const started = performance.now();
      for (let i = 0; i < CALLS; i++) await pool.invoke(workload.request);
      const elapsed = performance.now() - started;
      const used = process.cpuUsage(before);
      cpu[k].push((used.user + used.system) / CALLS);
      wall[k].push((elapsed * 1000) / CALLS);
    }
  }
  for (const pool of pools) await pool.close();
  const line = builds.map((b, k) => `${b.name}: CPU ${median(cpu[k]).toFixed(1)} µs, wall ${median(wall[k]).toFixed(1)} µs`).join('; ');
  const ratio = builds.length > 1 ? ` (CPU ${(median(cpu[1]) / median(cpu[0])).toFixed(2)}x baseline)` : '';
  console.log(`${workloadName}: ${line}${ratio}`);
}

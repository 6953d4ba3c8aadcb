// The host's CPU per call through a real quickjs-ng pool, for each package root given:
//   node bench/host-cpu-quickjs.mjs <package root> [<package root>...]
// Three cases (hello at concurrency 1 and 16, json at concurrency 1), two workers and
// 32 calls in flight; the roots take turns in rounds and the medians of the per-round
// figures are printed, with each root's per-round ratio to the first. Only this process's
// CPU is counted (process.cpuUsage): the workers' is the same code in every root.
// SPIN_US sets spinWaitUs (default 0: polling for answers is CPU the host spends waiting,
// not per-call work, and it varies with load); FENCE=0 turns the OS fence off.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { WORKLOADS } from './plain-bun.mjs';
import { BareProcess, buildBare, peerScript } from './quickjs-peers.mjs';
import { callsInFlight, inTurn } from './rounds.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 8);
const CALLS = Number(process.env.CALLS ?? 4000);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 32);
const SPIN_US = Number(process.env.SPIN_US ?? 0);
const CASES = (process.env.CASES ?? 'hello-c1,hello-c16,json-c1').split(',');
// `bare` in place of a root: two bare QuickJS-NG processes and their bench driver (quickjs-peers.mjs), for reference.
const roots = process.argv.slice(2).map((root) => (root === 'bare' ? root : resolve(root)));
if (roots.length === 0) throw new Error('usage: node bench/host-cpu-quickjs.mjs <package root>...');

async function startBare(workload) {
  const built = buildBare();
  if (built.binary === undefined) throw new Error(built.why);
  const script = join(dirname(built.binary), `peer-${createHash('sha256').update(workload.code).digest('hex').slice(0, 16)}.js`);
  mkdirSync(dirname(script), { recursive: true });
  writeFileSync(script, peerScript(workload.code));
  const processes = [new BareProcess(built.binary, script, false), new BareProcess(built.binary, script, false)];
  let next = 0;
  const target = { invoke: (request) => processes[next++ % 2].invoke(request), close: () => processes.forEach((p) => p.close()) };
  for (let i = 0; i < 500; i++) await target.invoke(workload.request);
  return target;
}

// SPIN_LIST=0,200 gives each root (by position) its own spinWaitUs, e.g. the same root twice.
const SPINS = process.env.SPIN_LIST?.split(',').map(Number);

async function start(root, workload, concurrency, k) {
  if (root === 'bare') return startBare(workload);
  const { createPool, profiles } = await import(join(root, 'dist', 'index.js'));
  const pool = createPool({
    runtime: 'quickjs-ng',
    capabilities: profiles.strict('bench'),
    source: { code: workload.code },
    osSandbox: process.env.FENCE !== '0',
    minWorkers: 2,
    maxWorkers: 2,
    maxQueue: 1024,
    concurrency,
    spinWaitUs: SPINS?.[k] ?? SPIN_US,
  });
  await pool.ready();
  for (let i = 0; i < 500; i++) await pool.invoke(workload.request);
  return pool;
}

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
console.log(`${ROUNDS} rounds of ${CALLS} calls, ${IN_FLIGHT} in flight, spinWaitUs ${SPIN_US}; host CPU per call (µs), median of the rounds`);
for (const name of CASES) {
  const [workloadName, c] = name.split('-c');
  const workload = WORKLOADS[workloadName];
  const pools = [];
  for (const [k, root] of roots.entries()) pools.push(await start(root, workload, Number(c), k));
  const perCall = pools.map(() => []);
  const sysPerCall = pools.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [k, pool] of inTurn(pools, round)) {
      const before = process.cpuUsage();
      await callsInFlight(IN_FLIGHT, CALLS, () => pool.invoke(workload.request));
      const used = process.cpuUsage(before);
      perCall[k].push((used.user + used.system) / CALLS);
      sysPerCall[k].push(used.system / CALLS);
    }
  }
  for (const pool of pools) await pool.close();
  for (const [k, root] of roots.entries()) {
    const ratio = median(perCall[k].map((value, i) => value / perCall[0][i]));
    console.log(`${name} ${root}: ${median(perCall[k]).toFixed(1)} (system ${median(sysPerCall[k]).toFixed(1)})${k === 0 ? '' : ` (ratio to the first ${ratio.toFixed(3)})`}`);
  }
}
process.exit(0);

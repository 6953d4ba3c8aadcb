// The host's CPU per call alone: the pool, sessions, process transport and codec of each
// package root, driving stand-in workers that answer at once (bench/stand-in-worker.mjs).
//   node bench/host-cpu-per-call.mjs <package root> [<package root>...]
// Two workers, concurrency 16, 32 calls in flight; the roots take turns in rounds and the
// medians of the per-round figures are printed, with each root's per-round ratio to the first.
// The roots share this process and its heap: a difference in garbage collection shows
// smaller here than in separate processes.
import { resolve } from 'node:path';
import { callsInFlight, inTurn } from './rounds.mjs';
import { startStandInPool } from './stand-in-pool.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 12);
const CALLS = Number(process.env.CALLS ?? 20000);
const IN_FLIGHT = 32;
const roots = process.argv.slice(2).map((root) => resolve(root));
if (roots.length === 0) throw new Error('usage: node bench/host-cpu-per-call.mjs <package root>...');

const start = (root) => startStandInPool(root, { minWorkers: 2, maxWorkers: 2, concurrency: 16 });

const pools = [];
for (const root of roots) pools.push(await start(root));
for (const pool of pools) for (let i = 0; i < 5000; i++) await pool.invoke({ path: '/' });
const perCall = pools.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  for (const [k, pool] of inTurn(pools, round)) {
    const before = process.cpuUsage();
    await callsInFlight(IN_FLIGHT, CALLS, () => pool.invoke({ path: '/' }));
    const used = process.cpuUsage(before);
    perCall[k].push((used.user + used.system) / CALLS);
  }
}
for (const pool of pools) await pool.close();

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
console.log(`${ROUNDS} rounds of ${CALLS} calls each, ${IN_FLIGHT} in flight; host CPU per call, median of the rounds`);
for (const [k, root] of roots.entries()) {
  const ratio = median(perCall[k].map((value, i) => value / perCall[0][i]));
  console.log(`${root}: ${median(perCall[k]).toFixed(1)} µs${k === 0 ? '' : `; per-round ratio to the first: ${ratio.toFixed(2)}`}`);
}
process.exit(0);

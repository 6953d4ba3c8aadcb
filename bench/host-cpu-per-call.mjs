// The host's CPU per call alone: the pool, sessions, process transport and codec of each
// package root, driving stand-in workers that answer at once (bench/stand-in-worker.mjs).
//   node bench/host-cpu-per-call.mjs <package root> [<package root>...]
// Two workers, concurrency 16, 32 calls in flight; the roots take turns in rounds and the
// medians of the per-round figures are printed, with each root's per-round ratio to the first.
// The roots share this process and its heap: a difference in garbage collection shows
// smaller here than in separate processes.
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROUNDS = Number(process.env.ROUNDS ?? 12);
const CALLS = Number(process.env.CALLS ?? 20000);
const IN_FLIGHT = 32;
const STAND_IN = join(dirname(fileURLToPath(import.meta.url)), 'stand-in-worker.mjs');
const roots = process.argv.slice(2).map((root) => resolve(root));
if (roots.length === 0) throw new Error('usage: node bench/host-cpu-per-call.mjs <package root>...');

async function start(root) {
  const load = (path) => import(join(root, 'dist', path));
  const { Pool } = await load('pool.js');
  const { InvocationSession } = await load('workers/session.js');
  const { ProcessTransport } = await load('workers/process-transport.js');
  const { validateOptions } = await load('options.js');
  const { validateCapabilities, profiles } = await load('capabilities/index.js');
  const { PROTOCOL_VERSION } = await load('protocol/index.js');
  const options = validateOptions({
    runtime: 'bun',
    osSandbox: false,
    capabilities: profiles.strict('bench'),
    source: { code: 'export default {}' },
    minWorkers: 2,
    maxWorkers: 2,
    concurrency: 16,
    recycleAfter: 0,
    maxQueue: 1024,
  });
  const launch = {
    spawn: () => spawn(process.execPath, [STAND_IN], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: { PROTOCOL: String(PROTOCOL_VERSION) } }),
  };
  const pool = new Pool({
    runtime: 'bun',
    options,
    capabilities: validateCapabilities(options.capabilities),
    bundle: { source: 'export default {}', filename: 'handler.js' },
    hostCall: () => Promise.reject(new Error('no host calls here')),
    createWorker: (context) => new InvocationSession('bun', context, new ProcessTransport('bun', context, launch)),
  });
  await pool.ready();
  return pool;
}

const pools = [];
for (const root of roots) pools.push(await start(root));
for (const pool of pools) for (let i = 0; i < 5000; i++) await pool.invoke({ path: '/' });
const perCall = pools.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  for (const [k, pool] of pools.entries()) {
    let sent = 0;
    const before = process.cpuUsage();
    const lane = async () => {
      while (sent < CALLS) {
        sent++;
        await pool.invoke({ path: '/' });
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
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

// CPU per call of the Bun worker, host and worker side apart, for A/B runs of two builds.
//   node bench/bun-cpu-per-call.mjs <package root> [<package root>...] [plain]
// Each contender is two workers (profiles.strict, fence on, concurrency 16,
// recycleAfter 0) or two plain Bun processes ('plain', bench/plain-bun.mjs),
// kept 32 calls in flight. They take turns in rounds and the medians of the
// per-round figures are printed, with each contender's per-round ratio to the
// first: on a shared machine the ratio within a round is what holds up.
// Worker CPU is every thread's, from /proc/<pid>/task/*/schedstat. The
// contenders share this process and its heap, so one build's garbage is
// collected during the other's rounds too: compare host CPU across builds
// with separate runs (npm run bench), worker CPU here.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { contenders, WORKLOADS } from './plain-bun.mjs';
import { callsInFlight, inTurn } from './rounds.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 16);
const CALLS = Number(process.env.CALLS ?? 4000);
const IN_FLIGHT = 32;
const names = process.argv.slice(2);
if (names.length === 0) throw new Error('usage: node bench/bun-cpu-per-call.mjs <package root>... [plain]');
const bun = join(dirname(createRequire(import.meta.url).resolve('bun/package.json')), 'bin', 'bun.exe');

function threadsCpuNs(pid) {
  let ns = 0;
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  } catch {
    // The process is gone.
  }
  return ns;
}

async function start(name) {
  if (name === 'plain') return contenders(bun).plain(WORKLOADS.hello.code, 2);
  const { createPool, profiles } = await import(join(resolve(name), 'dist', 'index.js'));
  const pool = createPool({
    runtime: 'bun',
    capabilities: profiles.strict('bench'),
    source: { code: WORKLOADS.hello.code },
    minWorkers: 2,
    maxWorkers: 2,
    concurrency: 16,
    recycleAfter: 0,
    maxQueue: 1024,
  });
  await pool.ready();
  return { invoke: (request) => pool.invoke(request), pids: () => pool.stats().pids, close: () => pool.close() };
}

const targets = [];
for (const name of names) targets.push(await start(name));
for (const target of targets) for (let i = 0; i < 2000; i++) await target.invoke(WORKLOADS.hello.request);
const rounds = targets.map(() => ({ host: [], worker: [], rate: [] }));
for (let round = 0; round < ROUNDS; round++) {
  for (const [k, target] of inTurn(targets, round)) {
    const pids = target.pids();
    const workerBefore = pids.reduce((sum, pid) => sum + threadsCpuNs(pid), 0);
    const hostBefore = process.cpuUsage();
    const startedAt = performance.now();
    await callsInFlight(IN_FLIGHT, CALLS, () => target.invoke(WORKLOADS.hello.request));
    const ms = performance.now() - startedAt;
    const host = process.cpuUsage(hostBefore);
    const workerNs = pids.reduce((sum, pid) => sum + threadsCpuNs(pid), 0) - workerBefore;
    rounds[k].host.push((host.user + host.system) / CALLS);
    rounds[k].worker.push(workerNs / 1000 / CALLS);
    rounds[k].rate.push(CALLS / (ms / 1000));
  }
}
for (const target of targets) await target.close();

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const ratio = (k, key) => median(rounds[k][key].map((value, i) => value / rounds[0][key][i]));
console.log(`${ROUNDS} rounds of ${CALLS} calls each, ${IN_FLIGHT} in flight; medians of the rounds`);
for (const [k, name] of names.entries()) {
  const r = rounds[k];
  const line = `${name}: ${median(r.rate).toFixed(0)}/s, host ${median(r.host).toFixed(1)} µs/call, worker ${median(r.worker).toFixed(1)} µs/call`;
  console.log(k === 0 ? line : `${line}; per-round ratio to ${names[0]}: rate ${ratio(k, 'rate').toFixed(2)}, host ${ratio(k, 'host').toFixed(2)}, worker ${ratio(k, 'worker').toFixed(2)}`);
}
process.exit(0);

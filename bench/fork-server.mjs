// QuickJS-NG cold start, forked by the fork server vs spawned, in one run
// (interleaved, so both see the same machine load):
//   npm run bench:fork                 40 rounds
//   BENCH_QUICK=1 npm run bench:fork   10 rounds
// Each round, for each mode: a new pool (profiles.strict, fence on) and its
// first answer, then close(). Also the host's own CPU time per cold start
// (spawning blocks the host's event loop; a fork request is one write), and
// how long a pool of 8 workers takes to be ready and what each costs in PSS.
import { readFileSync } from 'node:fs';
import { createPool, profiles } from 'bunbase-functions';
import { HANDLER, percentile } from './measure.mjs';

const ROUNDS = process.env.BENCH_QUICK === '1' ? 10 : 40;
const modes = { spawn: { forkServer: false }, fork: { forkServer: true } };

function newPool(mode, options = {}) {
  return createPool({
    runtime: 'quickjs-ng',
    capabilities: profiles.strict('bench'),
    source: { code: HANDLER },
    ...modes[mode],
    ...options,
  });
}

async function coldOnce(mode) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const pool = newPool(mode);
  await pool.invoke({ path: '/' });
  const firstResponse = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await pool.close();
  return { firstResponse, hostCpuMs: (used.user + used.system) / 1000 };
}

/** Proportional set size: shared pages (the binary, copy-on-write pages of the zygote) split among their users. */
function pssBytes(pid) {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)[1]) * 1024;
}

/** Time until 8 workers are ready, and their PSS once each has served a call. */
async function eightReady(mode) {
  const started = performance.now();
  const pool = newPool(mode, { minWorkers: 8, maxWorkers: 8 });
  await pool.ready();
  const ms = performance.now() - started;
  await Promise.all(Array.from({ length: 16 }, () => pool.invoke({ path: '/' })));
  const pss = pool.stats().pids.map(pssBytes);
  await pool.close();
  return { ms, pss: percentile(pss, 0.5) };
}

const samples = { spawn: { first: [], cpu: [], eight: [], pss: [] }, fork: { first: [], cpu: [], eight: [], pss: [] } };
// Warm-up: the fork server starts once per host; the first spawn pays for page-cache misses.
for (const mode of Object.keys(modes)) await coldOnce(mode);
for (let i = 0; i < ROUNDS; i++) {
  for (const mode of i % 2 === 0 ? ['spawn', 'fork'] : ['fork', 'spawn']) {
    const r = await coldOnce(mode);
    samples[mode].first.push(r.firstResponse);
    samples[mode].cpu.push(r.hostCpuMs);
  }
}
for (let i = 0; i < Math.max(3, ROUNDS / 8); i++) {
  for (const mode of Object.keys(modes)) {
    const r = await eightReady(mode);
    samples[mode].eight.push(r.ms);
    samples[mode].pss.push(r.pss);
  }
}

const rows = [
  ['cold start: new pool to first response, p50 (ms)', (m) => percentile(samples[m].first, 0.5), 2],
  ['cold start: new pool to first response, p90 (ms)', (m) => percentile(samples[m].first, 0.9), 2],
  ['host CPU per cold start, p50 (ms)', (m) => percentile(samples[m].cpu, 0.5), 2],
  ['8 workers ready, p50 (ms)', (m) => percentile(samples[m].eight, 0.5), 1],
  ['PSS per idle worker, median of 8 (MB)', (m) => percentile(samples[m].pss, 0.5) / (1024 * 1024), 2],
];
console.log('| measure | spawn | fork | fork / spawn |');
console.log('|---|--:|--:|--:|');
for (const [label, f, digits] of rows) {
  const s = f('spawn');
  const k = f('fork');
  console.log(`| ${label} | ${s.toFixed(digits)} | ${k.toFixed(digits)} | ${(k / s).toFixed(2)}x |`);
}
console.log(`\n(${ROUNDS} rounds per mode, interleaved; node ${process.version}, ${new Date().toISOString()})`);

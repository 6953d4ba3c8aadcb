// QuickJS-NG cold start, forked by the fork server vs spawned, in one run
// (interleaved, so both see the same machine load):
//   npm run bench:fork                 40 rounds
//   BENCH_QUICK=1 npm run bench:fork   10 rounds
// Each round, for each mode: a new pool (profiles.strict, fence on) and its
// first answer, then close(). Also the host's own CPU time per cold start
// (spawning blocks the host's event loop; a fork request is one write), and
// how long a pool of 8 workers takes to be ready and what each costs in PSS;
// and how many live workers this host could hold, from what 100 forked idle
// workers cost and the host's limits, whichever comes first.
import { readFileSync, readdirSync } from 'node:fs';
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

/** The first line of /proc/meminfo, /proc/self/limits... that starts with `prefix`, as a number. */
function procNumber(file, prefix) {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(prefix));
  const value = line?.slice(prefix.length).trim().split(/\s+/)[0];
  return value === undefined || !/^\d+$/.test(value) ? Infinity : Number(value);
}

/** The tightest pids.max of this process's cgroup and its ancestors (cgroup v2), with its use. */
function cgroupPids() {
  const rel = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n').find((l) => l.startsWith('0::'))?.slice(3);
  let best = { max: Infinity, current: 0 };
  for (let dir = rel; dir !== undefined; dir = dir === '/' ? undefined : dir.slice(0, dir.lastIndexOf('/')) || '/') {
    try {
      const max = readFileSync(`/sys/fs/cgroup${dir}/pids.max`, 'utf8').trim();
      const current = Number(readFileSync(`/sys/fs/cgroup${dir}/pids.current`, 'utf8'));
      if (max !== 'max' && Number(max) - current < best.max - best.current) best = { max: Number(max), current };
    } catch {
      // No pids controller at this level.
    }
  }
  return best;
}

/**
 * What `n` live forked workers cost this host (PSS each, host descriptors
 * each), and how many the host could hold: free descriptors (the pool refuses
 * with RESOURCE_EXHAUSTED first, keeping 32), available memory, processes.
 */
async function liveWorkers(n) {
  const fdsBefore = readdirSync('/proc/self/fd').length;
  const availableBefore = procNumber('/proc/meminfo', 'MemAvailable:') * 1024;
  const pool = newPool('fork', { minWorkers: n, maxWorkers: n });
  await pool.ready();
  await Promise.all(Array.from({ length: n }, () => pool.invoke({ path: '/' })));
  const pids = pool.stats().pids;
  const pss = pids.map(pssBytes).reduce((a, b) => a + b, 0) / pids.length;
  const fds = (readdirSync('/proc/self/fd').length - fdsBefore) / pids.length;
  const fdRoom = procNumber('/proc/self/limits', 'Max open files') - readdirSync('/proc/self/fd').length - 32;
  const memRoom = procNumber('/proc/meminfo', 'MemAvailable:') * 1024;
  // What the machine lost per worker, kernel memory included (page tables, its network namespace, socket
  // buffers): PSS leaves that out. Other processes move it too, so the larger of the two is used.
  const drop = (availableBefore - memRoom) / pids.length;
  const pids_ = cgroupPids();
  const tasks = readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length;
  const procRoom = Math.min(pids_.max - pids_.current, procNumber('/proc/sys/kernel/pid_max', '') - tasks, procNumber('/proc/sys/kernel/threads-max', '') - tasks);
  await pool.close();
  const perWorker = Math.max(pss, drop);
  const limits = { descriptors: n + Math.floor(fdRoom / fds), memory: n + Math.floor(memRoom / perWorker), processes: n + procRoom };
  const [by, most] = Object.entries(limits).sort((a, b) => a[1] - b[1])[0];
  return { n, pss, drop, fds, limits, by, most };
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

const live = await liveWorkers(process.env.BENCH_QUICK === '1' ? 20 : 100);
const mb = (bytes) => (bytes / (1024 * 1024)).toFixed(2);
console.log(`\n| live forked workers per host (${live.n} idle workers measured) | |`);
console.log('|---|--:|');
console.log(`| PSS per worker (MB) | ${mb(live.pss)} |`);
console.log(`| memory the machine lost per worker, kernel included (MB; MemAvailable, noisy) | ${mb(live.drop)} |`);
console.log(`| host descriptors per worker | ${live.fds.toFixed(1)} |`);
console.log(`| most by descriptors (ulimit -n, 32 kept; then RESOURCE_EXHAUSTED) | ${live.limits.descriptors} |`);
console.log(`| most by memory (MemAvailable / the larger of the two above) | ${live.limits.memory} |`);
console.log(`| most by processes (cgroup pids.max, threads-max, pid_max) | ${live.limits.processes} |`);
console.log(`| **live workers per host** | **${live.most}** (${live.by}) |`);

// A host process under faults (test/chaos/chaos.test.ts). It runs
// `invocations` calls with `inFlight` of them outstanding at a time while a
// fault injector hurts its workers, then closes the pool, and prints one JSON
// line: outcomes by code, wrong answers, settle times, what close() took, and
// what was left over. A call still unsettled after `watchdogMs` is a hang: the
// report says so and the process exits 3. Run in its own process so that a
// fault that took the host down could never take the test runner with it.
//
// Settings (JSON in argv[2]):
//   runtime, invocations, inFlight, minWorkers, maxWorkers, concurrency,
//   timeoutMs, fault: 'none' | 'sigkill' | 'sigstop' | 'startup',
//   everyMs: [min, max] between faults, recycleAfter,
//   closeWith: 'drained' | 'hung' (close() with hung and queued calls),
//   exitMidRun: true (process.exit() halfway, without close()), watchdogMs
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, profiles } from 'bunbase-functions';

const s = {
  invocations: 300,
  inFlight: 32,
  minWorkers: 0,
  maxWorkers: 4,
  concurrency: 1,
  timeoutMs: 10_000,
  fault: 'sigkill',
  everyMs: [5, 50],
  recycleAfter: 10_000,
  closeWith: 'drained',
  exitMidRun: false,
  watchdogMs: 120_000,
  ...JSON.parse(process.argv[2]),
};

const HANDLER = `export default { async fetch(req) {
  const url = new URL(req.url);
  if (url.pathname === '/hang') await new Promise(() => {});
  const wait = Number(url.searchParams.get('wait') ?? '0');
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  return new Response(url.pathname);
} }`;

const fds = () => readdirSync('/proc/self/fd').length;
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/**
 * Alive and still this host's descendant: thousands of workers come and go in
 * a run and pids are reused (pid_max is often 32768), so a pid once seen may
 * belong to someone else's process by the end.
 */
const ours = (pid) => {
  for (let p = pid, hops = 0; p > 1 && hops < 8; hops++) {
    if (p === process.pid) return true;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return false;
    }
  }
  return false;
};
/**
 * Alive, no longer our descendant, but working in one of this host's directories: a
 * worker that escaped its parent (reparented), not a reused pid. Its cwd link still
 * names the directory after the directory is removed.
 */
const stray = (pid) => {
  try {
    return readlinkSync(`/proc/${pid}/cwd`).includes(`/bunbase-host-${process.pid}-`);
  } catch {
    return false;
  }
};
const hostDirs = () => readdirSync(tmpdir()).filter((name) => name.startsWith(`bunbase-host-${process.pid}-`));
// Workers' directories (w-*); the fork server's socket lives beside them for the host's life.
const workDirs = () =>
  hostDirs().reduce((n, dir) => n + readdirSync(join(tmpdir(), dir)).filter((name) => name.startsWith('w-')).length, 0);
const rand = (min, max) => min + Math.floor(Math.random() * (max - min + 1));
const percentile = (sorted, p) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
const options = (extra = {}) => ({
  runtime: s.runtime,
  capabilities: profiles.strict('chaos'),
  source: { code: HANDLER },
  minWorkers: s.minWorkers,
  maxWorkers: s.maxWorkers,
  concurrency: s.concurrency,
  timeoutMs: s.timeoutMs,
  recycleAfter: s.recycleAfter,
  maxQueue: 100_000,
  shutdownTimeoutMs: 500,
  ...extra,
});

// Warm up once, so that descriptors the runtime keeps for good (libuv's
// signal pipe, the first child's handles, the fork server's spare workers,
// which connect back a moment later) are in the baseline: it is taken once
// the count has held still for 200 ms.
const warm = createPool(options({ minWorkers: 0 }));
await warm.invoke({ path: '/warm' });
await warm.close();
for (let still = 0, last = fds(), i = 0; still < 10 && i < 500; i++) {
  await new Promise((r) => setTimeout(r, 20));
  still = fds() === last ? still + 1 : 0;
  last = fds();
}
const descriptorsBefore = fds();

const pool = createPool(options());
const seenPids = new Set();
const started = new Set();
let mostLive = 0;
const refusals = {};
pool.on('workerstart', (event) => {
  started.add(event.pid);
  seenPids.add(event.pid);
  mostLive = Math.max(mostLive, pool.stats().workers.ready);
});
// Start failures nobody waits for (the injector's start-up kills) come here.
pool.on('error', (error) => (refusals[error.code] = (refusals[error.code] ?? 0) + 1));

// The fault injector.
let faults = 0;
let injecting = s.fault !== 'none';
const stopped = new Set();
const judged = new Set();
async function inject() {
  while (injecting) {
    await new Promise((r) => setTimeout(r, s.fault === 'startup' ? 2 : rand(s.everyMs[0], s.everyMs[1])));
    const pids = pool.stats().pids;
    for (const pid of pids) seenPids.add(pid);
    let targets = pids;
    // Each starting worker is seen once and killed with even odds: some must get through.
    if (s.fault === 'startup') targets = pids.filter((pid) => !started.has(pid) && !judged.has(pid) && judged.add(pid) && Math.random() < 0.5);
    else {
      // Workers that are serving: start-up kills are a scenario of their own (under load a
      // Bun start can take longer than the 5-50 ms between kills, and nothing would ever run).
      const serving = pids.filter((pid) => started.has(pid));
      targets = serving.length === 0 ? [] : [serving[rand(0, serving.length - 1)]];
    }
    for (const pid of targets) {
      try {
        if (s.fault === 'sigstop') {
          if (stopped.has(pid)) continue;
          process.kill(pid, 'SIGSTOP');
          stopped.add(pid);
          // Half of them are let go again before their deadline; the rest stay hung until the host kills them.
          if (Math.random() < 0.5) {
            setTimeout(() => {
              stopped.delete(pid);
              if (alive(pid)) process.kill(pid, 'SIGCONT');
            }, rand(10, s.timeoutMs / 2));
          }
        } else {
          process.kill(pid, 'SIGKILL');
        }
        faults++;
        if (s.fault === 'startup') started.add(pid);
      } catch {
        // Gone meanwhile.
      }
    }
  }
}
const injector = inject();

// The load: `inFlight` calls outstanding, each checked against its own answer.
const outcomes = {};
let wrong = 0;
let settled = 0;
const settleMs = [];
let next = 0;
let exitAt = s.exitMidRun ? Math.floor(s.invocations / 2) : -1;
const done = new Promise((resolveAll) => {
  const launch = () => {
    if (next >= s.invocations) return;
    const i = next++;
    const path = `/${i}`;
    const t0 = performance.now();
    pool.invoke({ path: `${path}?wait=${rand(0, 3)}` }).then(
      (response) => {
        const text = response.text();
        if (text !== path || response.invocationId === undefined) wrong++;
        outcomes.ok = (outcomes.ok ?? 0) + 1;
      },
      (error) => {
        const code = typeof error?.code === 'string' ? error.code : 'NOT_A_FUNCTIONS_ERROR';
        outcomes[code] = (outcomes[code] ?? 0) + 1;
      },
    ).finally(() => {
      settleMs.push(performance.now() - t0);
      settled++;
      if (settled === exitAt) {
        exitAt = -1;
        for (const pid of pool.stats().pids) seenPids.add(pid);
        // A host that ends without close(): the test checks that nothing it started outlives it.
        console.log(JSON.stringify({ exited: true, pids: [...seenPids], hostDirs: hostDirs() }));
        process.exit(0);
      }
      if (settled === s.invocations) resolveAll();
      else launch();
    });
  };
  for (let i = 0; i < s.inFlight; i++) launch();
});

let hung = false;
let watchdog;
await Promise.race([
  done,
  new Promise((r) => {
    watchdog = setTimeout(() => {
      hung = true;
      r();
    }, s.watchdogMs);
  }),
]);
clearTimeout(watchdog);
injecting = false;
await injector;
for (const pid of stopped) if (alive(pid)) process.kill(pid, 'SIGCONT');

const stats = pool.stats();
if (hung) {
  console.log(JSON.stringify({ hung: true, settled, invocations: s.invocations, outcomes, stats: { workers: stats.workers, queued: stats.queued, inFlight: stats.inFlight } }));
  process.exit(3);
}

// close(): with calls hung on every worker and more queued, or drained.
let extra = [];
if (s.closeWith === 'hung') {
  // The faults are over: let workers start again (a start the injector cut short may have failed queued work) so the hung calls reach them.
  for (let i = 0; i < 3; i++) if (await pool.ready().then(() => true, () => false)) break;
  const slots = Math.max(1, stats.workers.ready) * s.concurrency;
  extra = Array.from({ length: slots + 5 }, (_, i) => pool.invoke({ path: i < slots ? '/hang' : '/queued' }, { timeoutMs: 600_000 }).then(
    () => 'ok',
    (error) => error.code,
  ));
  await new Promise((r) => setTimeout(r, 100));
}
for (const pid of pool.stats().pids) seenPids.add(pid);
const closeStart = performance.now();
let closeTimer;
const closed = await Promise.race([
  pool.close().then(() => true),
  new Promise((r) => (closeTimer = setTimeout(() => r(false), 30_000))),
]);
clearTimeout(closeTimer);
const closeMs = performance.now() - closeStart;
if (!closed) {
  console.log(JSON.stringify({ hung: true, what: 'close()', stats: pool.stats() }));
  process.exit(3);
}
const extraOutcomes = {};
for (const code of await Promise.all(extra)) extraOutcomes[code] = (extraOutcomes[code] ?? 0) + 1;

// A worker's pipes close just after its exit event: give them a moment before counting.
for (let i = 0; i < 50 && fds() > descriptorsBefore; i++) await new Promise((r) => setTimeout(r, 20));

const counts = pool.stats().invocations;
const byCodeSum = Object.values(counts.byCode).reduce((a, b) => a + b, 0);
const sorted = settleMs.sort((a, b) => a - b);
const report = {
  settings: s,
  outcomes,
  wrong,
  faults,
  refusals,
  mostLive,
  settleMs: { p50: Math.round(percentile(sorted, 50)), p99: Math.round(percentile(sorted, 99)), max: Math.round(sorted.at(-1) ?? 0) },
  close: { ms: Math.round(closeMs), extra: extraOutcomes },
  counters: {
    ...counts,
    addUp: counts.total === s.invocations + extra.length && counts.succeeded + counts.failed === counts.total && byCodeSum === counts.failed && counts.succeeded === (outcomes.ok ?? 0) + (extraOutcomes.ok ?? 0),
  },
  leftover: {
    processes: [...seenPids].filter((pid) => pid !== process.pid && ours(pid)),
    /** Seen pids alive again as someone else's processes (reused), for the record. */
    reusedPids: [...seenPids].filter((pid) => alive(pid) && !ours(pid) && !stray(pid)).length,
    /** Seen pids alive outside our tree, yet in one of our work directories: escaped workers. */
    strays: [...seenPids].filter((pid) => pid !== process.pid && !ours(pid) && stray(pid)),
    workDirs: workDirs(),
    descriptors: { before: descriptorsBefore, after: fds() },
  },
  workersStarted: pool.stats().workersStarted,
  startFailures: pool.stats().startFailures,
  peakRssMB: Math.round(Number(readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+)/)?.[1] ?? 0) / 1024),
};
console.log(JSON.stringify(report));

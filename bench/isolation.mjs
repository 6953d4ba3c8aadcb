// The cost of isolation: 'invocation' (a fresh context per invocation) against
// the default 'worker', on the runtimes that offer it. Both pools run in the
// same process and take turns in small batches, so machine load falls on both
// alike; the ratio is the figure to read, the absolute numbers move with load.
// CPU per call is counted, not timed: the worker process's own CPU from
// /proc/<pid>/stat (quickjs-ng), and the host's from process.cpuUsage (which,
// for quickjs-wasm, includes its sandbox threads).
import { readFileSync } from 'node:fs';
import { createPool, profiles } from 'bunbase-functions';
import { HANDLER, percentile } from './measure.mjs';

const BATCH = 50;
const TICK_US = 1e6 / 100; // USER_HZ, 100 on Linux

/** utime + stime of a process, in µs. */
function processCpuUs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

function hostCpuUs() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function measure(runtime, calls) {
  const modes = ['worker', 'invocation'].map((isolation) => ({
    isolation,
    pool: createPool({ runtime, capabilities: profiles.strict('bench'), source: { code: HANDLER }, minWorkers: 1, maxWorkers: 1, isolation }),
    samples: [],
    hostUs: 0,
    workerUs: 0,
  }));
  try {
    for (const m of modes) {
      for (let i = 0; i < 200; i++) await m.pool.invoke({ path: '/' });
      m.pid = m.pool.stats().pids[0];
    }
    for (let done = 0; done < calls; done += BATCH) {
      for (const m of modes) {
        const host = hostCpuUs();
        const worker = m.pid === undefined ? 0 : processCpuUs(m.pid);
        for (let i = 0; i < BATCH; i++) {
          const t = performance.now();
          await m.pool.invoke({ path: '/' });
          m.samples.push((performance.now() - t) * 1000);
        }
        m.hostUs += hostCpuUs() - host;
        if (m.pid !== undefined) m.workerUs += processCpuUs(m.pid) - worker;
      }
    }
  } finally {
    await Promise.all(modes.map((m) => m.pool.close()));
  }
  const n = modes[0].samples.length;
  const [w, i] = modes.map((m) => ({
    p50: percentile(m.samples, 0.5),
    p99: percentile(m.samples, 0.99),
    hostUs: m.hostUs / n,
    workerUs: m.pid === undefined ? NaN : m.workerUs / n,
  }));
  return { worker: w, invocation: i };
}

/** Rows for run.mjs: [label, worker, invocation, digits]. */
export async function compareIsolation(runtimes, { quick }) {
  const calls = quick ? 500 : 4000;
  const rows = [];
  for (const runtime of runtimes.filter((r) => r === 'quickjs-ng' || r === 'quickjs-wasm')) {
    const r = await measure(runtime, calls);
    rows.push([`${runtime}: warm hello round trip, p50 (µs)`, r.worker.p50, r.invocation.p50, 0]);
    rows.push([`${runtime}: warm hello round trip, p99 (µs)`, r.worker.p99, r.invocation.p99, 0]);
    rows.push([`${runtime}: host CPU per call (µs)`, r.worker.hostUs, r.invocation.hostUs, 0]);
    if (runtime === 'quickjs-ng') rows.push([`${runtime}: worker process CPU per call (µs)`, r.worker.workerUs, r.invocation.workerUs, 0]);
  }
  return { rows, calls };
}

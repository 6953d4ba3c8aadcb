// Issue 15, scenario 4: a handler that keeps working after its answer. For
// each runtime, a `setInterval` that logs without end and one that burns CPU,
// each started by one invocation that has already been answered; reports
// what reached the host as `log` events and the worker's CPU time after the
// answer, over WATCH_MS, and why the worker exited.
//   npm run build && node bench/work-after-answer.mjs
import { readFileSync } from 'node:fs';
import { createPool, profiles } from '../dist/index.js';

const runtimes = (process.env.BENCH_RUNTIMES ?? 'quickjs-ng,bun').split(',');
const WATCH_MS = 5000;
const MAX_CPU = 500;
const SCENARIOS = {
  'log flood': `export default { fetch() { setInterval(() => { for (let i = 0; i < 50; i++) console.log('x'.repeat(10000)); }, 1); return new Response('ok'); } }`,
  'CPU burner': `export default { fetch() { setInterval(() => { const t = Date.now(); while (Date.now() - t < 50); }, 1); return new Response('ok'); } }`,
};

function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

const rows = [];
for (const runtime of runtimes) {
  for (const [name, code] of Object.entries(SCENARIOS)) {
    const pool = createPool({ runtime, capabilities: { ...profiles.strict('bench'), maxCpu: MAX_CPU }, source: { code }, maxWorkers: 1 });
    let logBytes = 0;
    const exits = [];
    pool.on('log', (entry) => (logBytes += Buffer.byteLength(entry.message)));
    pool.on('workerexit', (exit) => exits.push(exit.reason));
    await pool.invoke({ path: '/' });
    const pid = pool.stats().pids[0];
    const start = cpuMs(pid);
    let last = start;
    const until = Date.now() + WATCH_MS;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 10));
      last = cpuMs(pid) ?? last;
    }
    rows.push({ runtime, scenario: name, logMiB: +(logBytes / 1048576).toFixed(2), cpuAfterAnswerMs: last - start, maxCpu: MAX_CPU, workerExit: exits[0] ?? 'still running' });
    await pool.close();
  }
}
console.table(rows);

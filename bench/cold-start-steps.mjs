// Where a QuickJS-NG cold start goes (new pool to first answer), step by step,
// from a worker built with its start-up timeline compiled in (native/qw_trace.h):
//   cmake -S . -B build-trace -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-DQW_TRACE
//   cmake --build build-trace
//   BUNBASE_QJS_WORKER=build-trace/Release/bunbase-worker node bench/cold-start-steps.mjs
// Prints, for each step, when it happened after createPool() (p50 and min,
// in ms). `created` and `answer` are the host's; the rest the worker's (a
// spare's `connected` and `prepared` come before the pool exists: negative).
// FORK=0 measures spawned workers instead; N sets the rounds (default 40).
import { createPool, profiles } from 'bunbase-functions';
import { HANDLER, percentile } from './measure.mjs';

const fork = process.env.FORK !== '0';
const N = Number(process.env.N ?? 40);
const now = () => performance.timeOrigin + performance.now();
const rounds = [];
for (let i = 0; i < N + 3; i++) {
  const marks = {};
  const t0 = now();
  const pool = createPool({ runtime: 'quickjs-ng', capabilities: profiles.strict('bench'), source: { code: HANDLER }, forkServer: fork });
  marks.created = now();
  pool.on('log', (e) => {
    const m = /^TRACE (\S+) ([\d.]+)/.exec(e.message);
    if (m) marks[m[1]] = Number(m[2]);
  });
  pool.once('workerstart', () => (marks['host: ready'] = now()));
  await pool.invoke({ path: '/' });
  marks.answer = now();
  await pool.close();
  // The first rounds start the fork server and warm the page cache.
  if (i >= 3) rounds.push(Object.fromEntries(Object.entries(marks).map(([k, v]) => [k, v - t0])));
}
if (!rounds.some((r) => 'ready' in r)) {
  console.error('No TRACE lines: point BUNBASE_QJS_WORKER at a worker built with -DQW_TRACE (see the top of this file).');
  process.exit(1);
}
const steps = [...new Set(rounds.flatMap((r) => Object.keys(r)))].sort((a, b) => percentile(rounds.map((r) => r[a] ?? 0), 0.5) - percentile(rounds.map((r) => r[b] ?? 0), 0.5));
console.log(`| step (${fork ? 'forked' : 'spawned'}) | p50 (ms) | min (ms) |`);
console.log('|---|--:|--:|');
for (const step of steps) {
  const v = rounds.map((r) => r[step]).filter((x) => x !== undefined);
  console.log(`| ${step} | ${percentile(v, 0.5).toFixed(3)} | ${Math.min(...v).toFixed(3)} |`);
}
console.log(`\n(${N} rounds; node ${process.version}, ${new Date().toISOString()})`);

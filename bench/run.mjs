// Benchmarks (not tests): cold start, warm round trip, throughput, idle memory,
// QuickJS-NG, Bun and quickjs-wasm side by side in one run.
//   npm run bench                       all three runtimes
//   BENCH_RUNTIMES=bun npm run bench    one of them
//   BENCH_QUICK=1 npm run bench         fewer iterations
// With bun among the runtimes, a second table puts the Bun worker (profiles.strict,
// fence on) next to a plain Bun process answering NDJSON on stdio, same handlers.
// With quickjs-wasm, another puts it next to the bare quickjs-emscripten engine.
// With quickjs-ng, another puts it next to isolated-vm and a bare QuickJS-NG
// process (issue 13's targets; BENCH_ISOLATED_VM=/path/to/isolated-vm if the
// project's copy has no native addon).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { coldStart, idleRss, percentile, throughput, warmLatency } from './measure.mjs';
import { compareWithPlainBun } from './plain-bun.mjs';
import { compareWithQuickJSPeers } from './quickjs-peers.mjs';
import { compareWithBareEngine } from './wasm-peers.mjs';
import { compareIsolation } from './isolation.mjs';

const runtimes = (process.env.BENCH_RUNTIMES ?? 'quickjs-ng,bun,quickjs-wasm').split(',');
const quick = process.env.BENCH_QUICK === '1';
const COLD_RUNS = quick ? 10 : 40;
const WARM_CALLS = quick ? 2000 : 20000;
const THROUGHPUT_CALLS = quick ? 5000 : 40000;

const results = {};
for (const runtime of runtimes) {
  process.stderr.write(`measuring ${runtime}...\n`);
  const cold = await coldStart(runtime, COLD_RUNS);
  const warm = await warmLatency(runtime, WARM_CALLS, 1000);
  const rps = await throughput(runtime, 2, THROUGHPUT_CALLS, 32);
  const rss = await idleRss(runtime, 4);
  results[runtime] = {
    coldFirstResponseP50: percentile(cold.firstResponse, 0.5),
    coldSpawnToReadyP50: percentile(cold.spawnToReady, 0.5),
    warmP50Us: percentile(warm, 0.5) * 1000,
    warmP99Us: percentile(warm, 0.99) * 1000,
    throughput: rps,
    idleRssMb: percentile(rss, 0.5) / (1024 * 1024),
  };
}

const rows = [
  ['cold start: new pool to first response, p50 (ms)', 'coldFirstResponseP50', 1],
  ['cold start: spawn to ready, p50 (ms)', 'coldSpawnToReadyP50', 1],
  ['warm pool.invoke round trip, p50 (µs)', 'warmP50Us', 0],
  ['warm pool.invoke round trip, p99 (µs)', 'warmP99Us', 0],
  ['throughput, 2 workers, 32 in flight (invocations/s)', 'throughput', 0],
  ['idle RSS per worker, median of 4 (MB; quickjs-wasm: host RSS growth per sandbox)', 'idleRssMb', 1],
];
const header = ['measure', ...runtimes];
const both = runtimes.includes('quickjs-ng') && runtimes.includes('bun');
if (both) header.push('bun / quickjs-ng');
const table = [header];
for (const [label, key, digits] of rows) {
  const row = [label, ...runtimes.map((r) => results[r][key].toFixed(digits))];
  if (both) row.push((results.bun[key] / results['quickjs-ng'][key]).toFixed(2) + 'x');
  table.push(row);
}
const widths = header.map((_, i) => Math.max(...table.map((r) => r[i].length)));
const line = (r) => '| ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
console.log(line(table[0]));
console.log('|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
for (const r of table.slice(1)) console.log(line(r));
console.log(`\n(${COLD_RUNS} cold starts, ${WARM_CALLS} warm calls, ${THROUGHPUT_CALLS} throughput calls per runtime; node ${process.version}, ${new Date().toISOString()})`);

if (runtimes.includes('bun')) {
  process.stderr.write('measuring bun against a plain bun process...\n');
  const bun = join(dirname(createRequire(import.meta.url).resolve('bun/package.json')), 'bin', 'bun.exe');
  const rows = await compareWithPlainBun(bun, { quick });
  const out = [['measure (same handler)', 'plain Bun process', 'Bun worker, strict, fenced', 'worker / plain', 'target']];
  for (const [label, plain, worker, digits, ratio, target] of rows) out.push([label, plain.toFixed(digits), worker.toFixed(digits), `${ratio.toFixed(2)}x`, target]);
  const w = out[0].map((_, i) => Math.max(...out.map((r) => r[i].length)));
  const fmt = (r) => '| ' + r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ') + ' |';
  console.log('\n' + fmt(out[0]));
  console.log('|' + w.map((n, i) => (i === 0 ? '-'.repeat(n + 2) : '-'.repeat(n + 1) + ':')).join('|') + '|');
  for (const r of out.slice(1)) console.log(fmt(r));
}

if (runtimes.includes('quickjs-wasm')) {
  process.stderr.write('measuring quickjs-wasm against the bare engine...\n');
  const { rows, notes } = await compareWithBareEngine({ quick });
  const out = [['measure (same work, contenders taking turns)', 'bare quickjs-emscripten NG', 'quickjs-wasm pool.invoke', 'pool / bare', 'isolated-vm async', 'pool / isolated-vm', 'target (issue 10)']];
  const cell = (v, digits) => (Number.isFinite(v) ? v.toFixed(digits) : '');
  const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}x` : '');
  for (const [label, bare, pooled, ivm, digits, target] of rows) {
    out.push([label, cell(bare, digits), cell(pooled, digits), ratio(pooled, bare), cell(ivm, digits), ratio(pooled, ivm), target]);
  }
  const w = out[0].map((_, i) => Math.max(...out.map((r) => r[i].length)));
  const fmt = (r) => '| ' + r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ') + ' |';
  console.log('\n' + fmt(out[0]));
  console.log('|' + w.map((n, i) => (i === 0 ? '-'.repeat(n + 2) : '-'.repeat(n + 1) + ':')).join('|') + '|');
  for (const r of out.slice(1)) console.log(fmt(r));
  for (const note of notes) console.log(`\n(${note})`);
}

if (runtimes.includes('quickjs-ng') || runtimes.includes('quickjs-wasm')) {
  process.stderr.write("measuring isolation: 'invocation' against 'worker'...\n");
  const { rows, calls } = await compareIsolation(runtimes, { quick });
  const out = [['measure (same handler, pools taking turns)', "isolation: 'worker'", "isolation: 'invocation'", 'invocation / worker']];
  for (const [label, worker, invocation, digits] of rows) out.push([label, worker.toFixed(digits), invocation.toFixed(digits), `${(invocation / worker).toFixed(2)}x`]);
  const w = out[0].map((_, i) => Math.max(...out.map((r) => r[i].length)));
  const fmt = (r) => '| ' + r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ') + ' |';
  console.log('\n' + fmt(out[0]));
  console.log('|' + w.map((n, i) => (i === 0 ? '-'.repeat(n + 2) : '-'.repeat(n + 1) + ':')).join('|') + '|');
  for (const r of out.slice(1)) console.log(fmt(r));
  console.log(`\n(${calls} calls per mode per runtime, in batches of 50 taking turns)`);
}

if (runtimes.includes('quickjs-ng')) {
  process.stderr.write('measuring quickjs-ng against isolated-vm and a bare QuickJS-NG process...\n');
  const { rows, notes } = await compareWithQuickJSPeers({ quick });
  const show = (x, digits) => (Number.isFinite(x) ? x.toFixed(digits) : '');
  const out = [['measure (same handler)', 'quickjs-ng worker, strict, fenced', 'isolated-vm async', 'bare QuickJS-NG process', 'target (issue 13)', 'met']];
  for (const [label, v, digits, target, met] of rows) out.push([label, show(v.ours, digits), show(v.ivm, digits), show(v.bare, digits), target, met]);
  const w = out[0].map((_, i) => Math.max(...out.map((r) => r[i].length)));
  const fmt = (r) => '| ' + r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ') + ' |';
  console.log('\n' + fmt(out[0]));
  console.log('|' + w.map((n, i) => (i === 0 ? '-'.repeat(n + 2) : '-'.repeat(n + 1) + ':')).join('|') + '|');
  for (const r of out.slice(1)) console.log(fmt(r));
  for (const note of notes) console.log(`(${note})`);
}

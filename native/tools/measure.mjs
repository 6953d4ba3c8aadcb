// Measures the native worker on its own, without the pool:
//   cold start (spawn -> ready), warm round trip (invoke -> response), idle RSS.
// usage: node native/tools/measure.mjs [spawns=50] [invokes=5000]
// BUNBASE_QJS_WORKER overrides the binary (default build/Release/bunbase-worker);
// MEASURE_NO_FENCE=1 starts the worker without its OS fence (osSandbox: false).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = process.env.BUNBASE_QJS_WORKER ?? fileURLToPath(new URL('../../build/Release/bunbase-worker', import.meta.url));
const SPAWNS = Number(process.argv[2] ?? 50);
const INVOKES = Number(process.argv[3] ?? 5000);
const SOURCE = process.env.MEASURE_SOURCE ?? `export default { fetch(req) { return new Response('hello ' + req.method) } }`;
const CAPS = {
  projectId: 'measure', allowFilesystem: false, allowedPaths: [], readOnlyPaths: [], allowNetwork: false,
  allowedDomains: [], allowChildProcess: false, allowEval: false, maxMemory: 100 << 20, maxCpu: 30000, maxFileDescriptors: 10,
};
const INIT = JSON.stringify({ id: 0, type: 'init', payload: { protocol: 1, source: SOURCE, filename: 'handler.js', env: {}, capabilities: CAPS, limits: { maxBodyBytes: 1 << 25, maxLogBytes: 1 << 20 }, osSandbox: process.env.MEASURE_NO_FENCE ? false : true } }) + '\n';

function start() {
  const t0 = process.hrtime.bigint();
  const child = spawn(BIN, [], { stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
  const ipc = child.stdio[3];
  ipc.write(INIT);
  let buf = '';
  const waiters = [];
  ipc.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      waiters.shift()?.(line);
    }
  });
  const next = () => new Promise((r) => waiters.push(r));
  return { child, ipc, next, t0 };
}

const pct = (a, p) => a[Math.min(a.length - 1, Math.floor((a.length * p) / 100))];

const cold = [];
for (let i = 0; i < SPAWNS; i++) {
  const w = start();
  const line = await w.next();
  cold.push(Number(process.hrtime.bigint() - w.t0) / 1e6);
  if (!line.includes('"ready"')) throw new Error(line);
  w.ipc.end();
  await new Promise((r) => w.child.on('exit', r));
}
cold.sort((a, b) => a - b);

const w = start();
await w.next();
const rtt = [];
const invoke = JSON.stringify({ id: 0, type: 'invoke', payload: { method: 'GET', url: 'http://localhost/', headers: [], body: null, cpuMs: 30000, timeoutMs: 30000 } });
for (let i = 1; i <= INVOKES; i++) {
  const t = process.hrtime.bigint();
  w.ipc.write(invoke.replace('"id":0', `"id":${i}`) + '\n');
  await w.next();
  rtt.push(Number(process.hrtime.bigint() - t) / 1e3);
}
rtt.sort((a, b) => a - b);
await new Promise((r) => setTimeout(r, 200));
const status = readFileSync(`/proc/${w.child.pid}/status`, 'utf8');
const rss = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)[1]);
const smaps = readFileSync(`/proc/${w.child.pid}/smaps_rollup`, 'utf8');
const pss = Number(/Pss:\s+(\d+)/.exec(smaps)[1]);
w.ipc.end();

console.log(`binary: ${BIN}`);
console.log(`cold start spawn->ready over ${SPAWNS}: p50 ${pct(cold, 50).toFixed(2)} ms, p90 ${pct(cold, 90).toFixed(2)} ms, min ${cold[0].toFixed(2)} ms`);
console.log(`warm round trip over ${INVOKES}: p50 ${pct(rtt, 50).toFixed(1)} us, p99 ${pct(rtt, 99).toFixed(1)} us`);
console.log(`idle after ${INVOKES} invokes: RSS ${(rss / 1024).toFixed(2)} MB, PSS ${(pss / 1024).toFixed(2)} MB, peak RSS ${(hwm / 1024).toFixed(2)} MB`);

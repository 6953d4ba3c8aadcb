// Where a warm quickjs-wasm call goes, in measures that survive a loaded
// machine: per call, the host functions the engine calls, the FFI calls the
// host makes into the engine, the messages each way (all counted inline, on
// this thread: a thread's sandbox makes the same ones), and the CPU time per
// thread (from /proc/self/task/*/schedstat, Linux): the host's main thread,
// the busiest other thread (the sandbox's, on threads) and all the others
// (the sandbox's and V8's helpers, the GC's among them).
//
//   node bench/wasm-call-breakdown.mjs                      this checkout's dist/
//   node bench/wasm-call-breakdown.mjs before=/other/dist after=dist
//
// With several builds, their pools take turns (rounds of a batch each), so a
// change in the machine's load falls on all of them alike: before and after
// in one run. Counting wraps the engine's FFI, so it runs apart from timing,
// in a process of its own (a thread's spare sandbox made before the wrapping
// would not be counted).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inTurn } from './rounds.mjs';

const ITEMS = Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item-${i}`, price: i * 1.25, tags: ['a', 'b'] }));
const WORKLOADS = {
  hello: { handler: `export default { fetch() { return new Response('ok') } }`, request: { path: '/' }, warmup: 3000, calls: 3000 },
  json: {
    handler: `export default { async fetch(req) { const d = await req.json(); return Response.json({ n: d.items.length, total: d.items.reduce((a, i) => a + i.price, 0) }); } }`,
    request: { method: 'POST', path: '/', body: JSON.stringify({ items: ITEMS }) },
    warmup: 600,
    calls: 600,
  },
};
const ROUNDS = 10;

function percentile(samples, q) {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const counting = process.argv[2] === '--counts';
const args = process.argv.slice(counting ? 3 : 2);
const only = process.env.BREAKDOWN_ONLY?.split(',');
const builds = (args.length > 0 ? args : ['this=dist']).map((arg) => {
  const [name, dir] = arg.includes('=') ? arg.split('=') : [arg, arg];
  return { name, url: pathToFileURL(resolve(dir)).href };
});

const pool = (lib, workload, inline) =>
  lib.createPool({ runtime: 'quickjs-wasm', capabilities: lib.profiles.strict('bench'), source: { code: workload.handler }, maxWorkers: 1, minWorkers: 1, inline });

/** Per call, inline: host functions by name, FFI calls, messages by type. */
async function counts({ name, url }) {
  const lib = await import(`${url}/index.js`);
  const { loadEngine } = await import(`${url}/workers/wasm/engine.js`);
  const { LocalPort } = await import(`${url}/workers/wasm/local-port.js`);
  const tally = new Map();
  let on = false;
  const bump = (key) => on && tally.set(key, (tally.get(key) ?? 0) + 1);
  const ffi = (await loadEngine()).module.ffi;
  for (const key of Object.keys(ffi)) {
    const f = ffi[key];
    if (key.startsWith('QTS_') && typeof f === 'function') ffi[key] = (...args) => (bump('ffi'), f(...args));
  }
  const post = LocalPort.prototype.postMessage;
  LocalPort.prototype.postMessage = function (message, transfer) {
    bump(`message ${message.type}`);
    return post.call(this, message, transfer);
  };
  // Wrapping the implementation keeps a build's own dispatch of host functions (host-functions.ts) in place.
  const hostFunctions = existsSync(new URL(`${url}/workers/wasm/host-functions.js`)) ? (await import(`${url}/workers/wasm/host-functions.js`)).HostFunctions : undefined;
  const restore = [];
  if (hostFunctions !== undefined) {
    const fn = hostFunctions.prototype.fn;
    hostFunctions.prototype.fn = function (fnName, impl) {
      return fn.call(this, fnName, (...args) => (bump(`host ${fnName}`), impl(...args)));
    };
    restore.push(() => (hostFunctions.prototype.fn = fn));
  } else {
    const { QuickJSContext } = await import('quickjs-emscripten-core');
    const newFunction = QuickJSContext.prototype.newFunction;
    QuickJSContext.prototype.newFunction = function (fnName, impl) {
      return newFunction.call(this, fnName, (...args) => (bump(`host ${fnName}`), impl(...args)));
    };
    restore.push(() => (QuickJSContext.prototype.newFunction = newFunction));
  }
  for (const [workloadName, workload] of Object.entries(WORKLOADS)) {
    const p = pool(lib, workload, true);
    for (let i = 0; i < 200; i++) await p.invoke(workload.request);
    tally.clear();
    on = true;
    const calls = 200;
    for (let i = 0; i < calls; i++) await p.invoke(workload.request);
    on = false;
    const line = [...tally].sort().map(([key, n]) => `${key} ${+(n / calls).toFixed(2)}`);
    console.log(`${name} ${workloadName}, per call, inline: ${line.join(', ')}`);
    await p.close();
  }
  for (const undo of restore) undo();
}

function threadTimes() {
  const out = new Map();
  for (const task of readdirSync('/proc/self/task')) {
    try {
      out.set(Number(task), Number(readFileSync(`/proc/self/task/${task}/schedstat`, 'utf8').split(' ')[0]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** Per call, every build on threads and inline in turns: wall p50 and CPU per thread (µs). */
async function cpuInTurns() {
  const libs = await Promise.all(builds.map(async (b) => ({ ...b, lib: await import(`${b.url}/index.js`) })));
  for (const [workloadName, workload] of Object.entries(WORKLOADS)) {
    if (only !== undefined && !only.includes(workloadName)) continue;
    const contenders = [];
    for (const { name, lib } of libs) {
      for (const inline of [false, true]) contenders.push({ label: `${name} ${inline ? 'inline' : 'threads'}`, pool: pool(lib, workload, inline), wall: [], process: 0, main: 0, busiest: 0, others: 0 });
    }
    for (const c of contenders) for (let i = 0; i < workload.warmup; i++) await c.pool.invoke(workload.request);
    const batch = Math.round(workload.calls / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [, c] of inTurn(contenders, round)) {
        const before = threadTimes();
        const cpu = process.cpuUsage();
        for (let i = 0; i < batch; i++) {
          const t = performance.now();
          await c.pool.invoke(workload.request);
          c.wall.push(performance.now() - t);
        }
        const used = process.cpuUsage(cpu);
        c.process += used.user + used.system;
        let busiest = 0;
        for (const [tid, ns] of threadTimes()) {
          const us = (ns - (before.get(tid) ?? ns)) / 1000;
          if (tid === process.pid) c.main += us;
          else {
            c.others += us;
            busiest = Math.max(busiest, us);
          }
        }
        c.busiest += busiest;
      }
    }
    const calls = batch * ROUNDS;
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`\n${workloadName}, µs per call (load average ${load})`);
    console.log(`${'build'.padEnd(20)} ${'wall p50'.padStart(9)} ${'process'.padStart(9)} ${'main'.padStart(9)} ${'busiest'.padStart(9)} ${'others'.padStart(9)}`);
    for (const c of contenders) {
      const f = (us) => (us / calls).toFixed(1).padStart(9);
      console.log(`${c.label.padEnd(20)} ${(percentile(c.wall, 0.5) * 1000).toFixed(1).padStart(9)} ${f(c.process)} ${f(c.main)} ${f(c.busiest)} ${f(c.others)}`);
    }
    for (const c of contenders) await c.pool.close();
  }
}

if (counting) {
  for (const build of builds) await counts(build);
} else {
  await cpuInTurns();
  console.log('');
  spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--counts', ...args], { stdio: 'inherit' });
}
process.exit(0);

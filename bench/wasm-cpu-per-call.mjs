// CPU per call of quickjs-wasm with `inline: true` (the sandbox on the host
// thread, so process.cpuUsage holds all of a call: the pool, the binding,
// the prelude, the handler), and the wall time per call, on the hello and
// json workloads of bench/plain-bun.mjs (the ones bench/instructions-per-call.mjs
// counts on the native worker).
//
// With --baseline=DIR (another checkout of this repository, built: its
// dist/), that build's pool runs in the same process, in the same rounds,
// taking turns batch by batch, so the machine's load falls on both alike:
// a before/after of the prelude in one run.
//
// A second table has the engine alone: the guest (dist/'s binding and
// prelude bundle) in a quickjs-emscripten context on this thread, its entry
// called as the sandbox calls it, with a few host functions of ours instead
// of the sandbox's; no pool, no session, no V8 work for the host side. What
// the prelude costs in the WebAssembly engine moves this one, and little
// else does.
//
// usage: node bench/wasm-cpu-per-call.mjs [--baseline=DIR] [--calls=1000] [--rounds=10] [--workloads=hello,json]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as variantModule from '@jitl/quickjs-ng-wasmfile-release-sync';
import { newQuickJSWASMModuleFromVariant } from 'quickjs-emscripten-core';
import { WORKLOADS } from './plain-bun.mjs';
import { inTurn } from './rounds.mjs';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? ''];
  }),
);
const CALLS = Number(args.get('calls') || 1000);
const ROUNDS = Number(args.get('rounds') || 10);
const WORKLOAD_NAMES = (args.get('workloads') || 'hello,json').split(',');
const WARMUP = 500;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function load(dir, name) {
  const lib = await import(pathToFileURL(join(dir, 'dist', 'index.js')).href);
  return { name, lib, dir };
}

const builds = [await load(resolve(import.meta.dirname, '..'), 'this build')];
if (args.get('baseline')) builds.unshift(await load(resolve(args.get('baseline')), `baseline (${args.get('baseline')})`));

console.log(`quickjs-wasm, inline: true: CPU (process.cpuUsage) and wall time per call, medians of ${ROUNDS} rounds of ${CALLS} calls, builds taking turns`);
for (const workloadName of WORKLOAD_NAMES) {
  const workload = WORKLOADS[workloadName];
  const pools = builds.map(({ lib }) =>
    lib.createPool({
      runtime: 'quickjs-wasm',
      inline: true,
      minWorkers: 1,
      maxWorkers: 1,
      capabilities: lib.profiles.strict('bench'),
      source: { code: workload.code },
    }),
  );
  for (const pool of pools) {
    for (let i = 0; i < WARMUP; i++) {
      const res = await pool.invoke(workload.request);
      if (res.status !== 200) throw new Error(`${workloadName}: status ${res.status}`);
    }
  }
  const cpu = pools.map(() => []);
  const wall = pools.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [k, pool] of inTurn(pools, round)) {
      const before = process.cpuUsage();
      const started = performance.now();
      for (let i = 0; i < CALLS; i++) await pool.invoke(workload.request);
      const elapsed = performance.now() - started;
      const used = process.cpuUsage(before);
      cpu[k].push((used.user + used.system) / CALLS);
      wall[k].push((elapsed * 1000) / CALLS);
    }
  }
  for (const pool of pools) await pool.close();
  const line = builds.map((b, k) => `${b.name}: CPU ${median(cpu[k]).toFixed(1)} µs, wall ${median(wall[k]).toFixed(1)} µs`).join('; ');
  const ratio = builds.length > 1 ? ` (CPU ${(median(cpu[1]) / median(cpu[0])).toFixed(2)}x baseline)` : '';
  console.log(`${workloadName}: ${line}${ratio}`);
}

// ---- the engine alone ------------------------------------------------------

// The host functions the binding takes, for a strict profile: text through
// functions of ours (a quickjs-emscripten host function costs microseconds
// of its own, so only what must leave the engine does), the rest, the
// answer included (counted in the engine), as stubs inside the engine.
const STUB = `globalThis.__answers = 0;
globalThis.__qw_host = {
  options: () => ({ env: '{}', allowEval: false, allowFilesystem: false, projectId: 'bench', engineVersion: '0',
    maxBodyBytes: 1 << 25, fakeClock: false, randomSeed: null, exactStrings: false }),
  currentId: () => 1, log() {}, timer: () => 1, clearTimer() {}, now: () => 0, random: (n) => new ArrayBuffer(n),
  denyEval() {}, loadLazy() { throw new Error('no lazy parts here'); },
  base64Encode: () => '', base64Decode: () => new ArrayBuffer(0), call: () => 0, fs: () => 0,
  respond: () => { __answers++; }, fail: (id, code, name, message) => { throw new Error('the invocation failed: ' + message); },
  utf8Encode: __host_utf8Encode, utf8Decode: __host_utf8Decode };`;

function engineSandbox(engine, dir, workload) {
  const rt = engine.newRuntime();
  const ctx = rt.newContext();
  const decoder = new TextDecoder();
  const fns = {
    utf8Encode: (s) => {
      const bytes = Buffer.from(ctx.getString(s), 'utf8');
      return ctx.newArrayBuffer(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    },
    utf8Decode: (b) => {
      const view = ctx.getArrayBuffer(b);
      const text = decoder.decode(view.value);
      view.dispose();
      return ctx.newString(text);
    },
  };
  for (const [name, fn] of Object.entries(fns)) {
    const handle = ctx.newFunction(name, fn);
    ctx.setProp(ctx.global, `__host_${name}`, handle);
    handle.dispose();
  }
  const run = (code, name) => ctx.unwrapResult(ctx.evalCode(code, name)).dispose();
  run(STUB, 'stub');
  run(readFileSync(join(dir, 'dist', 'workers', 'wasm', 'prelude', 'binding.js'), 'utf8'), 'binding.js');
  run(readFileSync(join(dir, 'dist', 'workers', 'wasm', 'prelude', 'index.js'), 'utf8'), 'index.js');
  run(
    `globalThis.__handler = ${workload.code.replace(/^export default /m, '').replace(/;\s*$/, '')};
globalThis.__entry = globalThis.__qw_entry; delete globalThis.__qw_entry;
{ const why = __entry.setHandler({ default: __handler }); if (why) throw new Error(why); }`,
    'handler',
  );
  const entry = ctx.getProp(ctx.global, '__entry');
  // invoke(id, requestJson, body), or an older binding's invoke(id, method, url, headersJson, body).
  const fields = ctx.unwrapResult(ctx.evalCode('__entry.invoke.length')).consume((h) => ctx.getNumber(h)) === 5;
  const body = workload.request.body === undefined ? undefined : Buffer.from(workload.request.body);
  const method = workload.request.method ?? 'GET';
  const url = `http://localhost${workload.request.path}`;
  let id = 0;
  const call = () => {
    // What the sandbox passes: id, [method, url, headers] as JSON, the body's bytes or null.
    const request = fields ? [ctx.newString(method), ctx.newString(url), ctx.newString('[]')] : [ctx.newString(JSON.stringify([method, url, []]))];
    const args = [
      ctx.newNumber(++id),
      ...request,
      body === undefined ? ctx.null : ctx.newArrayBuffer(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)),
    ];
    const result = ctx.callMethod(entry, 'invoke', args);
    for (const a of args) if (a !== ctx.null) a.dispose();
    ctx.unwrapResult(result).dispose();
    if (rt.hasPendingJob()) rt.executePendingJobs(-1).unwrap();
  };
  const check = () => {
    const answers = ctx.unwrapResult(ctx.evalCode('__answers')).consume((h) => ctx.getNumber(h));
    if (answers !== id) throw new Error(`${answers} answers for ${id} calls`);
  };
  return { call, check };
}

const engine = await newQuickJSWASMModuleFromVariant(variantModule.default ?? variantModule);
const ENGINE_CALLS = CALLS * 3;
console.log(`the engine alone (dist/'s binding and prelude in quickjs-emscripten on this thread, no pool): CPU per call, medians of ${ROUNDS} rounds of ${ENGINE_CALLS} calls`);
for (const workloadName of WORKLOAD_NAMES) {
  const workload = WORKLOADS[workloadName];
  const sandboxes = builds.map((b) => engineSandbox(engine, b.dir, workload));
  for (const { call } of sandboxes) for (let i = 0; i < WARMUP * 4; i++) call();
  const cpu = sandboxes.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [k, { call }] of inTurn(sandboxes, round)) {
      const before = process.cpuUsage();
      for (let i = 0; i < ENGINE_CALLS; i++) call();
      const used = process.cpuUsage(before);
      cpu[k].push((used.user + used.system) / ENGINE_CALLS);
    }
  }
  for (const { check } of sandboxes) check();
  const line = builds.map((b, k) => `${b.name}: CPU ${median(cpu[k]).toFixed(1)} µs`).join('; ');
  const ratio = builds.length > 1 ? ` (${(median(cpu[1]) / median(cpu[0])).toFixed(2)}x baseline)` : '';
  console.log(`${workloadName}: ${line}${ratio}`);
}

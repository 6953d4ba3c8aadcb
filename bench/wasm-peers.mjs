// quickjs-wasm through pool.invoke next to the bare engine it is built on:
// quickjs-emscripten's QuickJS-NG (sync build) driven directly on this thread,
// no prelude, no thread hop, no Request/Response. Same workloads, one run.
// The targets are issue 10's; isolated-vm's figures there (cold 1.3 ms, warm
// 50 µs) are quoted, not measured here (isolated-vm is not a dependency).
import * as variantModule from '@jitl/quickjs-ng-wasmfile-release-sync';
import { newQuickJSWASMModuleFromVariant } from 'quickjs-emscripten-core';
import { createPool, profiles } from 'bunbase-functions';
import { percentile } from './measure.mjs';

const ITEMS = Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item-${i}`, price: i * 1.25, tags: ['a', 'b'] }));
const JSON_BODY = JSON.stringify({ items: ITEMS });
const CPU_LOOP = 'let x = 0; for (let i = 0; i < 200000; i++) x += Math.sqrt(i) % 7;';

// The same work in both: a bare function taking and returning strings, and a handler.
const BARE = {
  hello: '(function () { return "ok"; })',
  json: '(function (s) { const d = JSON.parse(s); return JSON.stringify({ n: d.items.length, total: d.items.reduce((a, i) => a + i.price, 0) }); })',
  cpu: `(function () { ${CPU_LOOP} return String(x); })`,
};
// One handler per workload: routing on new URL(req.url) would cost more than the hello itself.
const HANDLERS = {
  hello: `export default { fetch() { return new Response('ok') } }`,
  json: `export default { async fetch(req) { const d = await req.json(); return Response.json({ n: d.items.length, total: d.items.reduce((a, i) => a + i.price, 0) }); } }`,
  cpu: `export default { fetch() { ${CPU_LOOP} return new Response(String(x)); } }`,
};
const REQUESTS = { hello: { path: '/' }, json: { method: 'POST', path: '/', body: JSON_BODY }, cpu: { path: '/' } };

/** Quiet time before each start in the "spare ready" rows: longer than the thread waits before it makes a spare (spares.ts), plus the making. */
const QUIET_MS = 150;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function timeEach(n, fn, quietMs = 0) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    if (quietMs > 0) await sleep(quietMs);
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return percentile(samples, 0.5);
}

function bareCall(ctx, fn, arg) {
  const args = arg === undefined ? [] : [ctx.newString(arg)];
  const r = ctx.callFunction(fn, ctx.undefined, ...args);
  for (const a of args) a.dispose();
  const value = ctx.unwrapResult(r);
  const s = ctx.getString(value);
  value.dispose();
  return s;
}

async function bare(module, calls) {
  const newSandbox = () => {
    const rt = module.newRuntime();
    const ctx = rt.newContext();
    const fns = Object.fromEntries(Object.entries(BARE).map(([k, src]) => [k, ctx.unwrapResult(ctx.evalCode(src))]));
    return { rt, ctx, fns, dispose: () => (Object.values(fns).forEach((f) => f.dispose()), ctx.dispose(), rt.dispose()) };
  };
  const cold = await timeEach(40, () => {
    const s = newSandbox();
    bareCall(s.ctx, s.fns.hello);
    s.dispose();
  });
  const s = newSandbox();
  const out = { cold };
  for (const k of Object.keys(BARE)) {
    const arg = k === 'json' ? JSON_BODY : undefined;
    for (let i = 0; i < 50; i++) bareCall(s.ctx, s.fns[k], arg);
    out[k] = await timeEach(k === 'cpu' ? 100 : calls, () => bareCall(s.ctx, s.fns[k], arg));
  }
  const usage = s.rt.computeMemoryUsage();
  out.memoryBytes = s.ctx.getNumber(s.ctx.getProp(usage, 'memory_used_size'));
  usage.dispose();
  s.dispose();
  return out;
}

const newPool = (options = {}, handler = HANDLERS.hello) =>
  createPool({ runtime: 'quickjs-wasm', capabilities: profiles.strict('bench'), source: { code: handler }, maxWorkers: 1, ...options });

async function pooled(calls) {
  // The threads and the engine are the process's: one pool first, so cold start is a new sandbox on a warm thread.
  const first = performance.now();
  const warmup = newPool();
  await warmup.invoke({ path: '/' });
  const firstInProcess = performance.now() - first;
  await warmup.close();
  const coldStart = async () => {
    const p = newPool();
    await p.invoke({ path: '/' });
    await p.close();
  };
  // A thread makes a spare sandbox (binding and prelude loaded) once it has been quiet for a moment;
  // back to back, starts come faster than spares can be made, and most pay the whole load.
  const coldSpare = await timeEach(40, coldStart, QUIET_MS);
  const cold = await timeEach(40, coldStart);
  const out = { cold, coldSpare, firstInProcess };
  for (const k of Object.keys(REQUESTS)) {
    const p = newPool({ minWorkers: 1 }, HANDLERS[k]);
    let peak = 0;
    for (let i = 0; i < 50; i++) await p.invoke(REQUESTS[k]);
    out[k] = await timeEach(k === 'cpu' ? 100 : calls, async () => {
      peak = Math.max(peak, (await p.invoke(REQUESTS[k])).metrics.peakMemoryBytes);
    });
    if (k === 'hello') out.memoryBytes = peak;
    await p.close();
  }
  const isolated = newPool({ isolation: 'invocation' });
  for (let i = 0; i < 20; i++) await isolated.invoke({ path: '/' });
  out.isolatedHello = await timeEach(200, () => isolated.invoke({ path: '/' }));
  // The next call's context is prepared while the sandbox is idle: calls spaced out find it ready.
  out.isolatedSpaced = await timeEach(40, () => isolated.invoke({ path: '/' }), QUIET_MS);
  await isolated.close();
  out.rssPerSandbox = await rssPerSandbox(20);
  return out;
}

/** Growth of this process's resident memory per idle sandbox, threads already warm. */
async function rssPerSandbox(count) {
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  const p = newPool({ minWorkers: count, maxWorkers: count });
  await p.ready();
  await Promise.all(Array.from({ length: count }, () => p.invoke({ path: '/' })));
  await new Promise((r) => setTimeout(r, 300));
  const grown = process.memoryUsage().rss - before;
  await p.close();
  return grown / count;
}

/** Rows for run.mjs: [label, bare, pooled, digits, target]. */
export async function compareWithBareEngine({ quick }) {
  const calls = quick ? 500 : 5000;
  const module = await newQuickJSWASMModuleFromVariant(variantModule.default);
  const b = await bare(module, calls);
  const p = await pooled(calls);
  const us = (ms) => ms * 1000;
  const MB = 1024 * 1024;
  return [
    ['cold start: new sandbox to first answer, spare ready, p50 (ms)', b.cold, p.coldSpare, 2, '< 1.3 ms (isolated-vm)'],
    ['cold start: the same, back to back (no spare), p50 (ms)', b.cold, p.cold, 2, ''],
    ['first pool in the process: threads, engine, prelude (ms)', NaN, p.firstInProcess, 1, ''],
    ['warm hello, p50 (µs)', us(b.hello), us(p.hello), 0, '<= 50 µs (isolated-vm)'],
    ['json (200 items in, sum out), p50 (µs)', us(b.json), us(p.json), 0, '<= 1.2x bare'],
    ['cpu (200k sqrt), p50 (ms)', b.cpu, p.cpu, 2, '<= 1.2x bare'],
    ["warm hello with isolation: 'invocation', back to back, p50 (µs)", NaN, us(p.isolatedHello), 0, ''],
    [`the same, calls ${QUIET_MS} ms apart (next context ready), p50 (µs)`, NaN, us(p.isolatedSpaced), 0, ''],
    ['engine heap of one sandbox (MB)', b.memoryBytes / MB, p.memoryBytes / MB, 2, '<= 1 MB'],
    ['host RSS per idle sandbox, 20 sandboxes (MB)', NaN, p.rssPerSandbox / MB, 2, '<= 1 MB'],
  ];
}

// The hop to a quickjs-wasm thread and back, per setting: warm hello and
// json p50 and process CPU per call through pool.invoke, one pool of one
// sandbox, on threads with the default spin, with `spinWaitUs: 0` and with a
// spin longer than a json call, and `inline: true`; isolated-vm's async
// `apply` of the same hello when it loads. Each configuration runs in a
// process of its own (the spins of one would otherwise keep the threads of
// the next awake), the processes taking turns, ROUNDS times.
//
//   node bench/wasm-thread-hop.mjs            all configurations
//   node bench/wasm-thread-hop.mjs <name>     one, in this process (what the rounds run)
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createPool, profiles } from 'bunbase-functions';
import { percentile } from './measure.mjs';

const ROUNDS = 3;
const ITEMS = Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item-${i}`, price: i * 1.25, tags: ['a', 'b'] }));
const HANDLERS = {
  hello: `export default { fetch() { return new Response('ok') } }`,
  json: `export default { async fetch(req) { const d = await req.json(); return Response.json({ n: d.items.length, total: d.items.reduce((a, i) => a + i.price, 0) }); } }`,
};
const REQUESTS = { hello: { path: '/' }, json: { method: 'POST', path: '/', body: JSON.stringify({ items: ITEMS }) } };
const CALLS = { hello: 6000, json: 1500 };
const CONFIGS = {
  'threads, spinWaitUs 200 (default)': {},
  'threads, spinWaitUs 0': { spinWaitUs: 0 },
  'threads, spinWaitUs 1500': { spinWaitUs: 1500 },
  'inline: true': { inline: true },
};

/** p50 (µs) and process CPU per call (µs) of `calls` calls after as many to warm up. */
async function measure(call, calls) {
  for (let i = 0; i < calls; i++) await call();
  const wall = [];
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await call();
    wall.push(performance.now() - t);
  }
  const used = process.cpuUsage(before);
  return { p50: percentile(wall, 0.5) * 1000, cpu: (used.user + used.system) / calls };
}

async function runOne(name) {
  const out = {};
  if (name === 'isolated-vm') {
    const ivm = createRequire(import.meta.url)(process.env.BENCH_ISOLATED_VM ?? 'isolated-vm');
    const isolate = new ivm.Isolate({ memoryLimit: 128 });
    const context = await isolate.createContext();
    await (await isolate.compileScript(`const handler = { fetch() { return { status: 200, body: 'ok' } } };
      globalThis.handle = async () => { const r = await handler.fetch(); return r.status + ' ' + r.body; };`)).run(context);
    const handle = await context.global.get('handle', { reference: true });
    out.hello = await measure(() => handle.apply(undefined, [], { result: { promise: true } }), CALLS.hello);
    isolate.dispose();
    return out;
  }
  for (const kind of Object.keys(HANDLERS)) {
    const pool = createPool({
      runtime: 'quickjs-wasm',
      capabilities: profiles.strict('bench'),
      source: { code: HANDLERS[kind] },
      minWorkers: 1,
      maxWorkers: 1,
      ...CONFIGS[name],
    });
    out[kind] = await measure(() => pool.invoke(REQUESTS[kind]), CALLS[kind]);
    await pool.close();
  }
  return out;
}

const only = process.argv[2];
if (only !== undefined) {
  process.stdout.write(JSON.stringify(await runOne(only)));
} else {
  let withIvm = true;
  try {
    createRequire(import.meta.url)(process.env.BENCH_ISOLATED_VM ?? 'isolated-vm');
  } catch {
    withIvm = false;
  }
  const names = [...Object.keys(CONFIGS), ...(withIvm ? ['isolated-vm'] : [])];
  const results = Object.fromEntries(names.map((n) => [n, []]));
  const self = fileURLToPath(import.meta.url);
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of names) results[name].push(JSON.parse(execFileSync(process.execPath, [self, name], { encoding: 'utf8' })));
  }
  const cell = (runs, kind) => {
    const got = runs.map((r) => r[kind]).filter(Boolean);
    if (got.length === 0) return '';
    const range = (k) => `${Math.min(...got.map((g) => g[k])).toFixed(0)}–${Math.max(...got.map((g) => g[k])).toFixed(0)}`;
    return `${range('p50')} / ${range('cpu')}`;
  };
  console.log(`\n| quickjs-wasm, ${ROUNDS} processes each (p50 / process CPU per call, µs, min–max) | hello | json (200 items) |`);
  console.log('|---|--:|--:|');
  for (const name of names) console.log(`| ${name} | ${cell(results[name], 'hello')} | ${cell(results[name], 'json')} |`);
}

// Instructions per call of the native worker, and of the bare QuickJS-NG
// process beside it, under callgrind: reproducible where wall and CPU time
// move with the machine's load (issue 13's json and cpu targets are ratios
// to the bare process).
//
// Each target runs twice under `valgrind --tool=callgrind`, once answering
// FEW calls and once MANY, and the difference of the two totals divided by
// MANY - FEW is what one warm call costs: start-up, the handler's first
// (cold) calls and exit cancel out. The worker is driven over its own
// protocol (fd 3, the host's invoke lines as lib/protocol/codec.ts writes
// them) with the OS fence off; the bare process (bench/bare-quickjs) over
// stdin. Calls go one at a time, each sent a few milliseconds after the
// answer before it, so the worker never spins waiting for the next one
// (QW_SPIN_NS: it spins only while traffic is back to back).
//
// usage: node bench/instructions-per-call.mjs [--baseline=DIR] [--guest] [--wasm] [--functions[=N]] [--inclusive]
//          [--workloads=hello,json] [--calls=20,120] [--wasm-calls=200,700] [--no-bare] [--no-worker]
//   --baseline   also the build of another checkout DIR (its build/Release/bunbase-worker,
//                with --guest and --wasm its dist/), in the same run: a before/after
//   --guest      also the quickjs-wasm guest (bench/wasm-guest: the binding and
//                prelude from dist/ on the native engine, a stub host): what the
//                engine runs per call, without V8 and the host in the count
//   --wasm       also quickjs-wasm with `inline: true`: the whole node process
//                (the pool, the binding, the prelude, the handler) per pool.invoke;
//                slow (minutes per run) and noisier (V8 compiles as it goes)
//   --functions  also the N (default 25) functions whose own cost per call
//                differs most between the two runs (callgrind_annotate), per call
//   --inclusive  with --functions: each function's cost with what it calls
// BUNBASE_QJS_WORKER overrides the worker binary (default build/Release/bunbase-worker).
// Needs valgrind (apt-get install valgrind); the bare process needs build/libqjs.a
// (npm run build:native) and a C compiler.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { profiles, validateCapabilities } from 'bunbase-functions';
import { WORKLOADS } from './plain-bun.mjs';
import { buildAgainstEngine, buildBare, peerScript } from './quickjs-peers.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = process.env.BUNBASE_QJS_WORKER ?? join(ROOT, 'build', 'Release', 'bunbase-worker');
const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? ''];
  }),
);
const [FEW, MANY] = (args.get('calls') || '20,120').split(',').map(Number);
const WORKLOAD_NAMES = (args.get('workloads') || 'hello,json').split(',');
const FUNCTIONS = args.has('functions') ? Number(args.get('functions') || 25) : 0;
const INCLUSIVE = args.has('inclusive');
const BASELINE = args.get('baseline') || undefined;
const WASM_CALLS = (args.get('wasm-calls') || '200,700').split(',').map(Number);
const WASM_WARMUP = 1500;
const PAUSE_MS = 3;

// The strict profile, with room for the counting runs' heap and descriptors.
const CAPS = validateCapabilities({ ...profiles.strict('instructions'), maxMemory: 128 << 20, maxFileDescriptors: 64 });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function lines(stream, onLine) {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      onLine(line);
    }
  });
}

/** Runs `child` under callgrind through `drive`, returns the out file's path. */
async function underCallgrind(dir, name, command, commandArgs, stdio, drive, env = {}) {
  const out = join(dir, `${name}.callgrind`);
  const child = spawn('valgrind', ['--tool=callgrind', '--quiet', `--callgrind-out-file=${out}`, command, ...commandArgs], { stdio, env });
  const exited = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${name}: exit ${code ?? signal}`))));
  });
  await drive(child);
  await exited;
  return out;
}

/** The native worker: init, then `calls` invocations of `workload`, one at a time. */
function driveWorker(workload, calls) {
  const { request } = workload;
  const body = request.body === undefined ? null : Buffer.from(request.body).toString('base64');
  const invokeLine = (id) =>
    `{"id":${id},"type":"invoke","payload":{"method":${JSON.stringify(request.method ?? 'GET')},"url":${JSON.stringify(`http://localhost${request.path}`)},"headers":[],"body":${body === null ? 'null' : `"${body}"`},"cpuMs":30000,"timeoutMs":30000}}\n`;
  return async (child) => {
    const ipc = child.stdio[3];
    const waiting = [];
    lines(ipc, (line) => waiting.shift()?.(line));
    const next = () => new Promise((r) => waiting.push(r));
    const init = {
      id: 0,
      type: 'init',
      payload: {
        protocol: 1,
        source: workload.code,
        filename: 'handler.js',
        env: {},
        capabilities: CAPS,
        limits: { maxBodyBytes: 1 << 25, maxLogBytes: 1 << 20 },
        osSandbox: false,
      },
    };
    const ready = next();
    ipc.write(JSON.stringify(init) + '\n');
    const first = await ready;
    if (!first.includes('"ready"')) throw new Error(`worker: ${first}`);
    for (let id = 1; id <= calls; id++) {
      const answer = next();
      ipc.write(invokeLine(id));
      const line = await answer;
      if (!line.includes('"type":"response"') || !line.includes('"status":200')) throw new Error(`worker: ${line.slice(0, 300)}`);
      await sleep(PAUSE_MS);
    }
    ipc.end();
  };
}

/** The bare process: `calls` request lines of `workload`, one at a time. */
function driveBare(workload, calls) {
  return async (child) => {
    const waiting = [];
    lines(child.stdout, (line) => waiting.shift()?.(line));
    for (let id = 1; id <= calls; id++) {
      const answer = new Promise((r) => waiting.push(r));
      child.stdin.write(JSON.stringify({ id, ...workload.request }) + '\n');
      const line = await answer;
      if (!line.includes('"status":200')) throw new Error(`bare: ${line.slice(0, 300)}`);
      await sleep(PAUSE_MS);
    }
    child.stdin.end();
  };
}

function totalOf(file) {
  const m = /^(?:summary|totals):\s*(\d+)/m.exec(readFileSync(file, 'utf8'));
  if (!m) throw new Error(`no totals in ${file}`);
  return Number(m[1]);
}

/** Instructions per function (own, or with its callees), from callgrind_annotate. */
function selfCosts(file) {
  const text = execFileSync('callgrind_annotate', ['--threshold=100', `--inclusive=${INCLUSIVE ? 'yes' : 'no'}`, '--auto=no', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const costs = new Map();
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+)\s+(?:\([\d.\s]+%\)\s+)?(\S.*?)(?:\s+\[[^\]]*\])?$/.exec(line);
    if (!m || !m[2].includes(':')) continue;
    const name = m[2].replace(/^.*?:(?=[^:/]+$)/, '');
    costs.set(name, (costs.get(name) ?? 0) + Number(m[1].replaceAll(',', '')));
  }
  return costs;
}

function topDifferences(fewFile, manyFile, calls, n) {
  const few = selfCosts(fewFile);
  const many = selfCosts(manyFile);
  const names = new Set([...few.keys(), ...many.keys()]);
  return [...names]
    .map((name) => [name, ((many.get(name) ?? 0) - (few.get(name) ?? 0)) / calls])
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
    .slice(0, n);
}

// The wasm contender: a script that runs quickjs-wasm with `inline: true`
// (the sandbox on this thread) through pool.invoke. It warms up first, so
// that V8 has compiled and optimised what it will before the calls counted;
// --single-threaded keeps V8's compiler and collector on the main thread,
// where they are counted alike in both runs.
const WASM_DRIVER = `
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
const [dir, name, calls, warmup] = process.argv.slice(2);
const lib = await import(pathToFileURL(join(dir, 'dist', 'index.js')).href);
const { WORKLOADS } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'bench', 'plain-bun.mjs')).href)});
const w = WORKLOADS[name];
const pool = lib.createPool({ runtime: 'quickjs-wasm', inline: true, minWorkers: 1, maxWorkers: 1, capabilities: lib.profiles.strict('bench'), source: { code: w.code } });
for (let i = 0; i < Number(warmup) + Number(calls); i++) {
  const res = await pool.invoke(w.request);
  if (res.status !== 200) throw new Error(name + ': status ' + res.status);
}
process.exit(0);
`;

async function measure(dir, target, workloadName) {
  const workload = WORKLOADS[workloadName];
  const [few, many] = target.kind === 'wasm' ? WASM_CALLS : [FEW, MANY];
  const files = [];
  for (const calls of [few, many]) {
    const name = `${target.key}-${workloadName}-${calls}`;
    if (target.kind === 'worker') {
      files.push(await underCallgrind(dir, name, target.binary, [], ['ignore', 'ignore', 'inherit', 'pipe'], driveWorker(workload, calls)));
    } else if (target.kind === 'guest') {
      const handler = join(dir, `${workloadName}-handler.js`);
      writeFileSync(handler, workload.code.replace(/^export default /m, 'globalThis.__handler = '));
      let body = '-';
      if (workload.request.body !== undefined) {
        body = join(dir, `${workloadName}-body`);
        writeFileSync(body, workload.request.body);
      }
      const prelude = join(target.dir, 'dist', 'workers', 'wasm', 'prelude');
      files.push(await underCallgrind(dir, name, target.binary, [prelude, handler, body, String(calls)], ['ignore', 'ignore', 'inherit'], async () => {}));
    } else if (target.kind === 'wasm') {
      const script = join(dir, 'wasm-driver.mjs');
      writeFileSync(script, WASM_DRIVER);
      const argv = ['--single-threaded', script, target.dir, workloadName, String(calls), String(WASM_WARMUP)];
      files.push(await underCallgrind(dir, name, process.execPath, argv, ['ignore', 'ignore', 'inherit'], async () => {}, process.env));
    } else {
      const script = join(dir, `${name}.js`);
      writeFileSync(script, peerScript(workload.code));
      files.push(await underCallgrind(dir, name, target.binary, [script], ['pipe', 'pipe', 'inherit'], driveBare(workload, calls)));
    }
  }
  const perCall = (totalOf(files[1]) - totalOf(files[0])) / (many - few);
  return { perCall, top: FUNCTIONS ? topDifferences(files[0], files[1], many - few, FUNCTIONS) : [] };
}

const format = (n) => Math.round(n).toLocaleString('en-US');

const dir = mkdtempSync(join(tmpdir(), 'instructions-'));
try {
  const targets = [];
  if (BASELINE && !args.has('no-worker')) targets.push({ key: 'worker-baseline', label: 'worker (baseline)', kind: 'worker', binary: join(BASELINE, 'build', 'Release', 'bunbase-worker') });
  if (!args.has('no-worker')) targets.push({ key: 'worker', label: 'worker', kind: 'worker', binary: BIN });
  if (!args.has('no-bare') && !args.has('no-worker')) {
    const bare = buildBare();
    if (bare.binary) targets.push({ key: 'bare', label: 'bare', kind: 'bare', binary: bare.binary });
    else console.log(`bare QuickJS-NG process skipped: ${bare.why}`);
  }
  if (args.has('guest')) {
    const guest = buildAgainstEngine('wasm-guest');
    if (guest.binary) {
      if (BASELINE) targets.push({ key: 'guest-baseline', label: 'quickjs-wasm guest (baseline)', kind: 'guest', binary: guest.binary, dir: BASELINE });
      targets.push({ key: 'guest', label: 'quickjs-wasm guest', kind: 'guest', binary: guest.binary, dir: ROOT });
    } else {
      console.log(`quickjs-wasm guest skipped: ${guest.why}`);
    }
  }
  if (args.has('wasm')) {
    if (BASELINE) targets.push({ key: 'wasm-baseline', label: 'quickjs-wasm inline (baseline)', kind: 'wasm', dir: BASELINE });
    targets.push({ key: 'wasm', label: 'quickjs-wasm inline', kind: 'wasm', dir: ROOT });
  }
  console.log(
    'instructions per call, callgrind, (many calls - few calls) / their difference' +
      (args.has('no-worker') ? '' : `; worker ${FEW}/${MANY} over its protocol, fence off (${BIN})`) +
      (args.has('guest') ? `; quickjs-wasm guest ${FEW}/${MANY}: its binding and prelude bundle (dist/) on the native engine build, entry.invoke and the job queue` : '') +
      (args.has('wasm') ? `; quickjs-wasm ${WASM_CALLS.join('/')} after ${WASM_WARMUP} warm-up calls, the whole node process (pool, binding, prelude, handler)` : ''),
  );
  for (const workloadName of WORKLOAD_NAMES) {
    const results = new Map();
    for (const target of targets) results.set(target.key, await measure(dir, target, workloadName));
    const notes = [];
    if (results.has('bare') && results.has('worker')) notes.push(`worker ${(results.get('worker').perCall / results.get('bare').perCall).toFixed(3)}x bare`);
    if (results.has('worker-baseline') && results.has('worker')) notes.push(`worker ${(results.get('worker').perCall / results.get('worker-baseline').perCall).toFixed(3)}x baseline`);
    if (results.has('guest-baseline')) notes.push(`guest ${(results.get('guest').perCall / results.get('guest-baseline').perCall).toFixed(3)}x baseline`);
    if (results.has('wasm-baseline')) notes.push(`wasm ${(results.get('wasm').perCall / results.get('wasm-baseline').perCall).toFixed(3)}x baseline`);
    console.log(`${workloadName}: ${targets.map((t) => `${t.label} ${format(results.get(t.key).perCall)}`).join(', ')}${notes.length ? ` (${notes.join(', ')})` : ''}`);
    for (const target of targets) {
      const { top } = results.get(target.key);
      if (top.length === 0) continue;
      console.log(`  ${target.label}, ${INCLUSIVE ? 'inclusive' : 'own'} instructions per call by function:`);
      for (const [name, cost] of top) console.log(`    ${format(cost).padStart(10)}  ${name}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

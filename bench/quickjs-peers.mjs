// The quickjs-ng worker beside the peers of issue 13, on the same handlers and
// in one run: isolated-vm (async API, one isolate per worker, in this process)
// and a bare QuickJS-NG process (bench/bare-quickjs/main.c: the engine the
// worker is built on, reading NDJSON on stdin, no prelude, no fence).
// Both peers are dev-only and optional: isolated-vm is skipped with a note if
// it does not load (its native addon comes from its install script;
// BENCH_ISOLATED_VM=/path/to/isolated-vm points at another copy), the bare
// process if build/libqjs.a is missing (npm run build:native makes it).
//
// Neither peer has Request/Response: a small shim (PEER_SHIM) gives them the
// few members these handlers use, so the handler code is the same text.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPool, profiles } from 'bunbase-functions';
import { percentile } from './measure.mjs';
import { callsInFlight, inTurn } from './rounds.mjs';
import { WORKLOADS } from './plain-bun.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = 10;
const CLOCK_TICKS_PER_SECOND = 100;

const PEER_SHIM = `
globalThis.Response = class Response {
  constructor(body, init) { this._body = body == null ? '' : String(body); this.status = init?.status ?? 200; }
  static json(value, init) { return new Response(JSON.stringify(value), init); }
  async text() { return this._body; }
};
globalThis.Request = class Request {
  constructor(url, init = {}) { this.url = url; this.method = init.method ?? 'GET'; this._body = init.body ?? null; }
  async text() { return this._body ?? ''; }
  async json() { return JSON.parse(this._body); }
};
`;

/**
 * The handler as a script for a peer: its default export (at the start of a
 * line in these handlers) becomes a global, plus `handle(line)`, which
 * answers one NDJSON request line with one response line.
 */
export function peerScript(code) {
  const EXPORT = /^export default /m;
  if (!EXPORT.test(code)) throw new Error('peer handlers must have "export default" at the start of a line');
  return `${PEER_SHIM}
${code.replace(EXPORT, 'globalThis.handler = ')}
globalThis.handle = async (line) => {
  const m = JSON.parse(line);
  const res = await handler.fetch(new Request('http://localhost' + m.path, m));
  return JSON.stringify({ id: m.id, status: res.status, body: await res.text() });
};
globalThis.onLine = (line) => { handle(line).then(send); };
`;
}

/**
 * Builds the C program bench/<name>/main.c against the worker's own engine
 * build (build/libqjs.a), once per content of the two; { binary } or { why }.
 */
export function buildAgainstEngine(name) {
  const lib = join(ROOT, 'build', 'libqjs.a');
  const main = join(ROOT, 'bench', name, 'main.c');
  if (!existsSync(lib)) return { why: 'build/libqjs.a is missing (run npm run build:native)' };
  const key = createHash('sha256').update(readFileSync(main)).update(readFileSync(lib)).digest('hex').slice(0, 16);
  const out = join(ROOT, 'build', 'bench', `${name}-${key}`);
  if (!existsSync(out)) {
    mkdirSync(dirname(out), { recursive: true });
    try {
      execFileSync('cc', ['-O2', '-I', join(ROOT, 'native', 'deps', 'quickjs-ng'), main, lib, '-lm', '-lpthread', '-o', out], { stdio: 'pipe' });
    } catch (error) {
      return { why: `cc failed: ${String(error.stderr ?? error.message).trim().split('\n')[0]}` };
    }
  }
  return { binary: out };
}

/** The bare QuickJS-NG process (bench/bare-quickjs). */
export function buildBare() {
  return buildAgainstEngine('bare-quickjs');
}

async function loadIsolatedVm() {
  const require = createRequire(import.meta.url);
  try {
    return { ivm: require(process.env.BENCH_ISOLATED_VM ?? 'isolated-vm') };
  } catch (error) {
    return { why: `isolated-vm does not load (${error.message.split('\n')[0]}); set BENCH_ISOLATED_VM to a working copy` };
  }
}

/**
 * One bare process: requests are written as lines, answers matched by id.
 * With `serial`, a request waits until the one before it is answered (one at
 * a time, as the pool sends to a worker at its default concurrency of 1).
 */
export class BareProcess {
  #child;
  #pending = new Map();
  #nextId = 1;
  #buffered = '';
  #serial;
  #waiting = [];
  #inFlight = 0;

  constructor(binary, scriptPath, serial) {
    this.#serial = serial;
    this.#child = spawn(binary, [scriptPath], { stdio: ['pipe', 'pipe', 'inherit'], env: {} });
    this.#child.stdout.setEncoding('utf8');
    this.#child.stdout.on('data', (text) => {
      this.#buffered += text;
      let end;
      while ((end = this.#buffered.indexOf('\n')) !== -1) {
        const message = JSON.parse(this.#buffered.slice(0, end));
        this.#buffered = this.#buffered.slice(end + 1);
        this.#pending.get(message.id)?.(message);
        this.#pending.delete(message.id);
        this.#inFlight--;
        if (this.#waiting.length > 0) this.#write(this.#waiting.shift());
      }
    });
  }

  get pid() {
    return this.#child.pid;
  }

  invoke(request) {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      const line = JSON.stringify({ id, ...request }) + '\n';
      if (this.#serial && this.#inFlight > 0) this.#waiting.push(line);
      else this.#write(line);
    });
  }

  #write(line) {
    this.#inFlight++;
    this.#child.stdin.write(line);
  }

  close() {
    this.#child.stdin.end();
    this.#child.kill('SIGKILL');
  }
}

/**
 * The contenders behind one interface: `start(code, workers)` →
 * { invoke(request), close(), pids }. `pids` are the processes whose CPU is
 * not this process's (none for isolated-vm, which runs in this one).
 */
function contenders(bare, ivm) {
  const roundRobin = (targets, close, pids) => {
    let next = 0;
    return { invoke: (request) => targets[next++ % targets.length].invoke(request), close, pids };
  };
  const ours = (concurrency) => async (code, workers) => {
    const pool = createPool({
      runtime: 'quickjs-ng',
      capabilities: profiles.strict('bench'),
      source: { code },
      minWorkers: workers,
      maxWorkers: workers,
      maxQueue: 1024,
      concurrency,
    });
    await pool.ready();
    return { invoke: (request) => pool.invoke(request), close: () => pool.close(), pids: () => pool.stats().pids };
  };
  const list = { ours: ours(1), oursConcurrent: ours(16) };
  if (bare !== undefined) {
    const scripts = new Map();
    const scriptFor = (code) => {
      if (!scripts.has(code)) {
        const path = join(ROOT, 'build', 'bench', `peer-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.js`);
        writeFileSync(path, peerScript(code));
        scripts.set(code, path);
      }
      return scripts.get(code);
    };
    const start = (serial) => async (code, workers) => {
      const processes = Array.from({ length: workers }, () => new BareProcess(bare, scriptFor(code), serial));
      return roundRobin(processes, () => processes.forEach((p) => p.close()), () => processes.map((p) => p.pid));
    };
    list.bare = start(false);
    list.bareSerial = start(true);
  }
  if (ivm !== undefined) {
    list.ivm = async (code, workers) => {
      const isolates = [];
      for (let i = 0; i < workers; i++) isolates.push(await IvmSandbox.create(ivm, code));
      return roundRobin(isolates, () => isolates.forEach((s) => s.dispose()), () => []);
    };
  }
  return list;
}

/** One isolate with its context and handler, called through the async API (apply, promise result). */
class IvmSandbox {
  #isolate;
  #handle;
  #nextId = 1;

  static async create(ivm, code) {
    const sandbox = new IvmSandbox();
    sandbox.#isolate = new ivm.Isolate({ memoryLimit: 128 });
    const context = await sandbox.#isolate.createContext();
    const script = await sandbox.#isolate.compileScript(peerScript(code));
    await script.run(context);
    sandbox.#handle = await context.global.get('handle', { reference: true });
    return sandbox;
  }

  async invoke(request) {
    const line = JSON.stringify({ id: this.#nextId++, ...request });
    return JSON.parse(await this.#handle.apply(undefined, [line], { result: { promise: true } }));
  }

  dispose() {
    this.#isolate.dispose();
  }
}

function cpuMsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

function pssBytes(pid) {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)[1]) * 1024;
}

/** New sandbox (pool, process, isolate) to its first answer, interleaved; p50 in ms. */
async function cold(starts, runs) {
  const samples = starts.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [k, start] of inTurn(starts, i)) {
      const t = performance.now();
      const target = await start(WORKLOADS.hello.code, 1);
      await target.invoke(WORKLOADS.hello.request);
      samples[k].push(performance.now() - t);
      await target.close();
    }
  }
  return samples.map((s) => percentile(s, 0.5));
}

/**
 * Sequential calls on a warm sandbox each, interleaved in rounds; every call's
 * latency in ms. Each round starts new sandboxes (processes, for the two
 * process contenders): on the virtual machines we measure on, one process
 * runs the same QuickJS work at one of two speeds about 1.3x apart for its
 * whole life (the bare process's CPU per json call was 293-300 µs in some
 * processes and 377-403 µs in others), so a row measured on one process of
 * each contender compared two draws of that lottery, not two runtimes.
 */
async function warm(starts, workload, calls) {
  const samples = starts.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    const targets = [];
    try {
      for (const start of starts) targets.push(await start(workload.code, 1));
      for (const target of targets) for (let i = 0; i < 200; i++) await target.invoke(workload.request);
      for (const [k, target] of inTurn(targets, round)) {
        for (let i = 0; i < calls / ROUNDS; i++) {
          const t = performance.now();
          await target.invoke(workload.request);
          samples[k].push(performance.now() - t);
        }
      }
    } finally {
      for (const target of targets) await target.close();
    }
  }
  return samples;
}

/**
 * Answers per second from two sandboxes with 32 calls outstanding, and CPU
 * per answer: this process's plus the workers' processes', over the same calls.
 */
async function rate(starts, total, inFlight) {
  const targets = [];
  try {
    for (const start of starts) targets.push(await start(WORKLOADS.hello.code, 2));
    for (const target of targets) for (let i = 0; i < 200; i++) await target.invoke(WORKLOADS.hello.request);
    const elapsed = targets.map(() => 0);
    const cpuUs = targets.map(() => 0);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [k, target] of inTurn(targets, round)) {
        const pids = target.pids();
        const workerBefore = pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
        const hostBefore = process.cpuUsage();
        const t = performance.now();
        await callsInFlight(inFlight, total / ROUNDS, () => target.invoke(WORKLOADS.hello.request));
        elapsed[k] += performance.now() - t;
        const host = process.cpuUsage(hostBefore);
        cpuUs[k] += host.user + host.system + (pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0) - workerBefore) * 1000;
      }
    }
    return targets.map((_, k) => ({ perSecond: total / (elapsed[k] / 1000), cpuUsPerCall: cpuUs[k] / total }));
  } finally {
    for (const target of targets) await target.close();
  }
}

/** PSS of each idle worker process after a few calls, median in bytes. */
async function pss(start, workers) {
  const target = await start(WORKLOADS.hello.code, workers);
  try {
    await Promise.all(Array.from({ length: workers * 4 }, () => target.invoke(WORKLOADS.hello.request)));
    await new Promise((r) => setTimeout(r, 300));
    return percentile(target.pids().map(pssBytes), 0.5);
  } finally {
    await target.close();
  }
}

/**
 * Rows of [label, ours, ivm, bare, digits, target, met] measured in one run
 * (a peer that is missing has NaN), and notes on what was skipped.
 */
export async function compareWithQuickJSPeers({ quick }) {
  const notes = [];
  const built = buildBare();
  if (built.why !== undefined) notes.push(`bare QuickJS-NG process skipped: ${built.why}`);
  const loaded = await loadIsolatedVm();
  if (loaded.why !== undefined) notes.push(`isolated-vm skipped: ${loaded.why}`);
  const c = contenders(built.binary, loaded.ivm);
  const names = ['ours', 'ivm', 'bare'].filter((n) => c[n] !== undefined);
  const starts = names.map((n) => c[n]);
  const n = quick ? { cold: 10, cpu: 40, json: 500, hello: 2000, rate: 5000 } : { cold: 40, cpu: 200, json: 3000, hello: 20000, rate: 40000 };
  const by = (values) => Object.fromEntries(['ours', 'ivm', 'bare'].map((name) => [name, names.includes(name) ? values[names.indexOf(name)] : NaN]));

  const coldMs = by(await cold(starts, n.cold));
  const hello = by((await warm(starts, WORKLOADS.hello, n.hello)).map((s) => ({ p50: percentile(s, 0.5) * 1000, p99: percentile(s, 0.99) * 1000 })));
  const json = by((await warm(starts, WORKLOADS.json, n.json)).map((s) => percentile(s, 0.5) * 1000));
  const cpu = by((await warm(starts, WORKLOADS.cpu, n.cpu)).map((s) => percentile(s, 0.5)));
  // Like with like: the bare process starts every request as it arrives, and so does the pool at
  // concurrency 16 (up to 16 calls interleaved in each worker); the pool at its default
  // concurrency 1 sends a worker one call at a time, and is set beside the bare process sent one
  // request at a time. isolated-vm's async apply runs calls in its isolate's own thread, queued.
  // All five take turns in the same rounds.
  const rateNames = [...names, 'oursConcurrent', ...(c.bareSerial === undefined ? [] : ['bareSerial'])];
  const measured = await rate(rateNames.map((name) => c[name]), n.rate, 32);
  const rateOf = (name) => measured[rateNames.indexOf(name)];
  const rates16 = { ours: rateOf('oursConcurrent'), ivm: rateOf('ivm'), bare: rateOf('bare') };
  const rates1 = { ours: rateOf('ours'), ivm: undefined, bare: rateOf('bareSerial') };
  // PSS at two pool sizes: what a worker shares with the zygote and its siblings is divided among more of them.
  const pssAt = async (workers) => ({
    ours: (await pss(c.ours, workers)) / 2 ** 20,
    ivm: NaN,
    bare: c.bare === undefined ? NaN : (await pss(c.bare, workers)) / 2 ** 20,
  });
  const pss4 = await pssAt(4);
  const pss16 = await pssAt(quick ? 8 : 16);

  const field = (o, k) => ({ ours: o.ours?.[k] ?? NaN, ivm: o.ivm?.[k] ?? NaN, bare: o.bare?.[k] ?? NaN });
  const tp16 = field(rates16, 'perSecond');
  const cpuPerCall16 = field(rates16, 'cpuUsPerCall');
  const tp1 = field(rates1, 'perSecond');
  const cpuPerCall1 = field(rates1, 'cpuUsPerCall');
  const p50 = field(hello, 'p50');
  const p99 = field(hello, 'p99');
  const check = (ok) => (Number.isNaN(ok) ? '' : ok ? 'yes' : 'no');
  const atMost = (mine, theirs, k) => (Number.isFinite(theirs) ? check(mine <= k * theirs) : '');
  return {
    notes,
    rows: [
      ['cold start: new sandbox to first answer, p50 (ms)', coldMs, 2, '≤ 0.8x isolated-vm', atMost(coldMs.ours, coldMs.ivm, 0.8)],
      ['throughput, 2 workers, 32 in flight, pool at concurrency 16 (/s)', tp16, 0, '≥ 0.6x bare', Number.isFinite(tp16.bare) ? check(tp16.ours >= 0.6 * tp16.bare) : ''],
      ['CPU per invocation at that rate, host + worker (µs)', cpuPerCall16, 1, '', ''],
      ['the same, pool at concurrency 1 (the default), bare sent one request at a time (/s)', tp1, 0, '', ''],
      ['CPU per invocation at that rate, host + worker (µs)', cpuPerCall1, 1, '', ''],
      ['hello: warm p50 (µs)', p50, 0, '', ''],
      ['hello: warm p99 (µs)', p99, 0, '≤ 3x isolated-vm', atMost(p99.ours, p99.ivm, 3)],
      ['json: 10.8 KB filter/map/sort, warm p50 (µs)', json, 0, '≤ 1.05x bare', atMost(json.ours, json.bare, 1.05)],
      ['cpu: primes below 20,000, warm p50 (ms)', cpu, 3, '≤ 1.05x bare', atMost(cpu.ours, cpu.bare, 1.05)],
      ['PSS per idle worker, 4 workers, median (MB)', pss4, 2, '< bare', Number.isFinite(pss4.bare) ? check(pss4.ours < pss4.bare) : ''],
      [`PSS per idle worker, ${quick ? 8 : 16} workers, median (MB)`, pss16, 2, '< bare', Number.isFinite(pss16.bare) ? check(pss16.ours < pss16.bare) : ''],
    ],
  };
}

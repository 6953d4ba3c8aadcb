// The Bun worker against a plain Bun child process answering NDJSON on stdio,
// with the same handlers: what the fence and the protocol cost (issue 9's targets).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, profiles } from 'bunbase-functions';
import { percentile } from './measure.mjs';
import { callsInFlight, inTurn } from './rounds.mjs';

export const WORKLOADS = {
  hello: { code: `export default { fetch() { return new Response('ok'); } };`, request: { path: '/' } },
  cpu: {
    code: `function primes(n) { let count = 0; for (let i = 2; i < n; i++) { let prime = true; for (let j = 2; j * j <= i; j++) if (i % j === 0) { prime = false; break; } if (prime) count++; } return count; }
export default { fetch() { return new Response(String(primes(20000))); } };`,
    request: { path: '/' },
  },
  json: {
    code: `export default { async fetch(req) {
  const items = await req.json();
  const out = items.filter((i) => i.active).map((i) => ({ id: i.id, name: i.name.toUpperCase(), score: i.score * 2, tags: i.tags.slice(0, 2) })).sort((a, b) => b.score - a.score || a.id - b.id);
  return Response.json(out);
} };`,
    // About 10.8 KB of JSON.
    request: {
      method: 'POST',
      path: '/',
      body: JSON.stringify(
        Array.from({ length: 100 }, (_, i) => ({ id: i, name: `item-${i}`, active: i % 3 !== 0, score: (i * 37) % 101, tags: ['a', 'b', 'c'] })),
      ),
    },
  },
};

// The plain process: the handler module, and a loop reading one JSON request per line on stdin.
const SERVER = `import handler from './handler.mjs';
const decoder = new TextDecoder();
let buffered = '';
async function handle(line) {
  const m = JSON.parse(line);
  const response = await handler.fetch(new Request('http://localhost' + m.path, { method: m.method ?? 'GET', body: m.body ?? null }));
  const body = await response.text();
  process.stdout.write(JSON.stringify({ id: m.id, status: response.status, body }) + '\\n');
}
for await (const chunk of Bun.stdin.stream()) {
  buffered += decoder.decode(chunk, { stream: true });
  let end;
  while ((end = buffered.indexOf('\\n')) !== -1) {
    const line = buffered.slice(0, end);
    buffered = buffered.slice(end + 1);
    void handle(line);
  }
}
`;

class PlainBun {
  #child;
  #pending = new Map();
  #nextId = 1;
  #buffered = '';
  /** With `serial`, a request waits here until the one before it is answered (one at a time, as a pool worker). */
  #serial;
  #waiting = [];
  #inFlight = 0;

  constructor(bun, dir, serial) {
    this.#serial = serial;
    this.#child = spawn(bun, [join(dir, 'server.mjs')], { stdio: ['pipe', 'pipe', 'inherit'], env: {} });
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

/** Makes a directory with the plain server and `code` as its handler. */
function plainDir(code) {
  const dir = mkdtempSync(join(tmpdir(), 'bunbase-plain-bun-'));
  writeFileSync(join(dir, 'server.mjs'), SERVER);
  writeFileSync(join(dir, 'handler.mjs'), code);
  return dir;
}

/**
 * The contenders behind one interface: `start(code, workers)` → { invoke(request), close() }.
 * `plain` answers every line as it arrives, many at once; `plainSerial` is sent one
 * request at a time per process, as the pool sends to a worker (concurrency 1).
 */
export function contenders(bun) {
  const plain = (serial) => async (code, workers) => {
    const dir = plainDir(code);
    const processes = Array.from({ length: workers }, () => new PlainBun(bun, dir, serial));
    let next = 0;
    return {
      invoke: (request) => processes[next++ % processes.length].invoke(request),
      pids: () => processes.map((p) => p.pid),
      close: () => {
        for (const p of processes) p.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
  return {
    plain: plain(false),
    plainSerial: plain(true),
    worker: worker(1),
    workerConcurrent: worker(16),
  };
}

/** A pool of `workers` Bun workers, each running up to `concurrency` invocations at once. */
function worker(concurrency) {
  return async (code, workers) => {
    const pool = createPool({
      runtime: 'bun',
      capabilities: profiles.strict('bench'),
      source: { code },
      minWorkers: workers,
      maxWorkers: workers,
      concurrency,
      maxQueue: 1024,
    });
    await pool.ready();
    return { invoke: (request) => pool.invoke(request), close: () => pool.close() };
  };
}

// The machine is shared: each measure alternates between the contenders in
// rounds, so that a burst of load elsewhere falls on both alike.
const ROUNDS = 10;

/** Sequential calls on one warm process each; p50 of every call, in ms. */
async function warm(starts, workload, calls) {
  const targets = [];
  try {
    for (const start of starts) targets.push(await start(workload.code, 1));
    const samples = targets.map(() => []);
    for (const target of targets) for (let i = 0; i < 200; i++) await target.invoke(workload.request);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [k, target] of inTurn(targets, round)) {
        for (let i = 0; i < calls / ROUNDS; i++) {
          const t = performance.now();
          await target.invoke(workload.request);
          samples[k].push(performance.now() - t);
        }
      }
    }
    return samples.map((s) => percentile(s, 0.5));
  } finally {
    for (const target of targets) await target.close();
  }
}

/** New process (or pool) to its first answer, p50 in ms. */
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
 * Answers per second from two processes with `inFlight` requests outstanding, all rounds together,
 * and the host's CPU per answer (µs): a figure that holds up on a loaded machine.
 */
async function rate(starts, total, inFlight) {
  const targets = [];
  try {
    for (const start of starts) targets.push(await start(WORKLOADS.hello.code, 2));
    for (const target of targets) for (let i = 0; i < 200; i++) await target.invoke(WORKLOADS.hello.request);
    const elapsed = targets.map(() => 0);
    const hostCpu = targets.map(() => 0);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [k, target] of inTurn(targets, round)) {
        const cpu = process.cpuUsage();
        const t = performance.now();
        await callsInFlight(inFlight, total / ROUNDS, () => target.invoke(WORKLOADS.hello.request));
        elapsed[k] += performance.now() - t;
        const used = process.cpuUsage(cpu);
        hostCpu[k] += used.user + used.system;
      }
    }
    return { perSecond: elapsed.map((ms) => total / (ms / 1000)), hostCpuUs: hostCpu.map((us) => us / total) };
  } finally {
    for (const target of targets) await target.close();
  }
}

/**
 * Rows of [label, plain, worker, digits shown, worker/plain, target], measured in one run.
 * For times a ratio above 1 is the worker being slower; for throughput, below 1.
 */
export async function compareWithPlainBun(bun, { quick }) {
  const c = contenders(bun);
  const n = quick ? { cold: 10, cpu: 100, json: 500, hello: 1000, rate: 5000 } : { cold: 30, cpu: 400, json: 3000, hello: 10000, rate: 40000 };
  const pair = [c.plain, c.worker];
  const rows = [];
  const [cpuPlain, cpuWorker] = await warm(pair, WORKLOADS.cpu, n.cpu);
  rows.push(['cpu: primes below 20,000, warm p50 (ms)', cpuPlain, cpuWorker, 3, cpuWorker / cpuPlain, '≤ 1.25x']);
  const [jsonPlain, jsonWorker] = await warm(pair, WORKLOADS.json, n.json);
  rows.push(['json: 10.8 KB filter/map/sort, warm p50 (µs)', jsonPlain * 1000, jsonWorker * 1000, 0, jsonWorker / jsonPlain, '≤ 1.5x']);
  const [helloPlain, helloWorker] = await warm(pair, WORKLOADS.hello, n.hello);
  rows.push(['hello: warm p50 (µs)', helloPlain * 1000, helloWorker * 1000, 0, helloWorker / helloPlain, '']);
  const [coldPlain, coldWorker] = await cold(pair, n.cold);
  rows.push(['hello: cold start, new pool/process to first answer, p50 (ms)', coldPlain, coldWorker, 1, coldWorker / coldPlain, '≤ 2x']);
  // The plain process answers the 16 requests it is sent at once; so does a worker with concurrency 16.
  // At concurrency 1 (the default) a worker is sent one at a time, as plainSerial is.
  const rates = await rate([c.plain, c.plainSerial, c.worker, c.workerConcurrent], n.rate, 32);
  const [ratePlain, rateSerial, rateWorker, rateConcurrent] = rates.perSecond;
  const [hostPlain, , hostWorker, hostConcurrent] = rates.hostCpuUs;
  rows.push(['hello: throughput, 2 processes, 32 in flight, worker concurrency 16 (/s)', ratePlain, rateConcurrent, 0, rateConcurrent / ratePlain, '≥ 0.5x']);
  rows.push(['  the same, worker concurrency 1 (the default) (/s)', ratePlain, rateWorker, 0, rateWorker / ratePlain, '']);
  rows.push(['  the same, plain Bun sent one request at a time, worker concurrency 1 (/s)', rateSerial, rateWorker, 0, rateWorker / rateSerial, '']);
  rows.push(['  host CPU per answer, worker concurrency 16 (µs)', hostPlain, hostConcurrent, 1, hostConcurrent / hostPlain, '']);
  rows.push(['  host CPU per answer, worker concurrency 1 (µs)', hostPlain, hostWorker, 1, hostWorker / hostPlain, '']);
  return rows;
}

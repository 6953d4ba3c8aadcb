import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { profiles, type Pool, type PoolOptions, type RuntimeName } from 'bunbase-functions';
import { RUNTIMES, alive, pool, waitFor } from '../helpers.js';

/**
 * Work a handler leaves running after its answer (a setInterval, a promise
 * chain) is held to the invocation's own limits: its log bytes count against
 * what is left of `maxLogBytes`, its CPU against `maxCpu`, and it may run
 * only until the invocation's deadline. Past any of them the worker is
 * recycled, which stops that work. Each attack has a control that stays
 * within the limits and keeps its worker.
 *
 * A worker process is watched from outside (/proc); a quickjs-wasm sandbox,
 * which has no process, meters its own engine time (wasm/leftover-cpu.ts).
 * The pid checks below apply where there is a pid; the worker counts apply
 * to every runtime.
 */
const LOG_LIMIT = 64 * 1024;

function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface Watched {
  pool: Pool;
  /** The worker's pid, where it has a process (not quickjs-wasm). */
  pid: () => number | undefined;
  /** The worker reported its exit and, where it has a process, the process is gone. */
  gone: (pid: number | undefined) => boolean;
  logBytes: (id: number) => number;
  lines: (id: number) => string[];
  exits: (string | undefined)[];
}

let open: Pool[] = [];
afterEach(async () => {
  await Promise.all(open.map((p) => p.close()));
  open = [];
});

function watched(runtime: RuntimeName, code: string, options: Partial<PoolOptions> = {}): Watched {
  const p = pool(runtime, code, { maxWorkers: 1, maxLogBytes: LOG_LIMIT, ...options });
  open.push(p);
  const logs = new Map<number, string[]>();
  const exits: (string | undefined)[] = [];
  p.on('log', (entry) => {
    const id = entry.invocationId;
    logs.set(id, [...(logs.get(id) ?? []), entry.message]);
  });
  p.on('workerexit', (exit) => exits.push(exit.reason));
  return {
    pool: p,
    pid: () => p.stats().pids[0],
    // Gone from /proc is not yet reported: a forked worker is reaped by the fork server, whose word comes after.
    gone: (pid) => exits.length > 0 && (pid === undefined || !alive(pid)),
    lines: (id) => logs.get(id) ?? [],
    logBytes: (id) => (logs.get(id) ?? []).reduce((n, line) => n + Buffer.byteLength(line), 0),
    exits,
  };
}

// Query parameters are read with a regular expression, not URL: on quickjs-wasm, URL is a lazily
// loaded part whose first load would count against the small maxCpu of these tests.
const FLOOD = `export default { fetch(req) {
  const n = Number(/[?&]lines=(\\d+)/.exec(req.url)?.[1] ?? '0');
  if (n > 0) {
    let sent = 0;
    const t = setInterval(() => { console.log('after ' + sent); if (++sent === n) clearInterval(t); }, 1);
  } else if (req.url.endsWith('/flood')) {
    setInterval(() => { for (let i = 0; i < 20; i++) console.log('x'.repeat(4000)); }, 1);
  }
  return new Response('answered');
} }`;

const BURN = `export default { fetch(req) {
  const ms = Number(/[?&]ms=(\\d+)/.exec(req.url)?.[1] ?? '0');
  const every = Number(/[?&]every=(\\d+)/.exec(req.url)?.[1] ?? '0');
  const burn = () => { const t = Date.now(); while (Date.now() - t < ms); };
  if (every > 0) setInterval(burn, every);
  else if (ms > 0) setTimeout(burn, 10);
  return new Response('answered');
} }`;

describe.each(RUNTIMES)('%s: work after the answer', (runtime) => {
  it('logs after the answer count against maxLogBytes: a flood stops at the budget with a marker and recycles the worker', async () => {
    const w = watched(runtime, FLOOD);
    const answer = await w.pool.invoke({ path: '/flood' });
    expect(answer.text()).toBe('answered');
    const pid = w.pid();
    await waitFor(() => w.gone(pid), 20_000);
    const id = answer.invocationId;
    expect(w.logBytes(id)).toBeLessThanOrEqual(LOG_LIMIT + 1024);
    expect(w.lines(id).at(-1)).toMatch(/^\[truncated: invocation \d+, after its answer, went past maxLogBytes/);
    expect(w.exits).toEqual([expect.stringMatching(/recycled: invocation \d+, after its answer, went past maxLogBytes/)]);
    // A new worker serves the next call.
    expect((await w.pool.invoke({ path: '/' })).text()).toBe('answered');
    expect(w.pool.stats().workersStarted).toBe(2);
    if (pid !== undefined) expect(w.pool.stats().pids).not.toContain(pid);
  });

  it('control: a few lines after the answer, within the budget and the deadline, arrive with the invocation id; the worker stays', async () => {
    const w = watched(runtime, FLOOD);
    const answer = await w.pool.invoke({ path: '/?lines=5' });
    const pid = w.pid();
    await waitFor(() => w.lines(answer.invocationId).length === 5);
    expect(w.lines(answer.invocationId)).toEqual(['after 0', 'after 1', 'after 2', 'after 3', 'after 4']);
    await w.pool.invoke({ path: '/' });
    expect(w.pool.stats().workersStarted).toBe(1);
    expect(w.pool.stats().pids).toEqual(pid === undefined ? [] : [pid]);
    expect(w.exits).toEqual([]);
  });

  it('a log line after the deadline is dropped and recycles the worker', async () => {
    const w = watched(
      runtime,
      `export default { fetch() { setTimeout(() => console.log('too late'), 600); return new Response('answered'); } }`,
    );
    await w.pool.ready();
    // The deadline is the call's own: a cold start under load must not eat it.
    const answer = await w.pool.invoke({ path: '/' }, { timeoutMs: 300 });
    const pid = w.pid();
    await waitFor(() => w.gone(pid), 20_000);
    expect(w.lines(answer.invocationId)).toEqual([]);
    expect(w.exits).toEqual([expect.stringMatching(/invocation \d+ logged after its answer and past its deadline/)]);
  });

  it('CPU after the answer counts against maxCpu: a busy setInterval recycles the worker', async () => {
    const w = watched(runtime, BURN, { capabilities: { ...profiles.strict('test-project'), maxCpu: 300 } });
    await w.pool.invoke({ path: '/?ms=20&every=1' });
    const pid = w.pid();
    const start = pid === undefined ? 0 : cpuMsOf(pid);
    let last = start;
    await waitFor(() => {
      if (pid === undefined || !alive(pid)) return w.gone(pid);
      try {
        last = cpuMsOf(pid);
      } catch {
        // Gone between the two reads.
      }
      return false;
    }, 30_000);
    expect(w.exits).toEqual([expect.stringMatching(/^Work left running after an answer used more than 300 ms of CPU time \(maxCpu\): \d+ ms used/)]);
    // What the watcher counted when it stopped the work: within a few samples of maxCpu.
    expect(Number(/: (\d+) ms used/.exec(w.exits[0] ?? '')?.[1])).toBeLessThan(300 * 4);
    // What it burned after its answer, as last seen from outside: within a few samples of maxCpu.
    expect(last - start).toBeLessThan(300 * 4);
  });

  it('control: a little CPU after the answer, within maxCpu, keeps the worker', async () => {
    const w = watched(runtime, BURN, { capabilities: { ...profiles.strict('test-project'), maxCpu: 1000 } });
    await w.pool.invoke({ path: '/?ms=30' });
    const pid = w.pid();
    await new Promise((r) => setTimeout(r, 300));
    await w.pool.invoke({ path: '/' });
    expect(w.pool.stats().workersStarted).toBe(1);
    expect(w.pool.stats().pids).toEqual(pid === undefined ? [] : [pid]);
    expect(w.exits).toEqual([]);
  });

  it('CPU after the answer and past its deadline recycles the worker, with no maxCpu at all', async () => {
    const w = watched(runtime, BURN, { capabilities: { ...profiles.strict('test-project'), maxCpu: 0, maxMemory: 0 } });
    await w.pool.ready();
    await w.pool.invoke({ path: '/?ms=5&every=20' }, { timeoutMs: 300 });
    const pid = w.pid();
    await waitFor(() => w.gone(pid), 30_000);
    expect(w.exits).toEqual([expect.stringMatching(/recycled: work left running after an answer went on past its deadline/)]);
  });
});

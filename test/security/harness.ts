import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import {
  createPool,
  profiles,
  type CapabilityOverrides,
  type DenialEvent,
  type InvokeResponse,
  type Pool,
  type PoolOptions,
  type RuntimeName,
} from 'bunbase-functions';
import { alive, waitFor } from '../helpers.js';

// Every row that is about the API layer or the host runs on all three runtimes.
// Rows about the OS layer (the fence, descriptors, processes, signals) need a
// worker that is a process of its own: those files use PROCESS_RUNTIMES and say
// why quickjs-wasm is left out (it has no OS layer: docs/security.md).
export { RUNTIMES, PROCESS_RUNTIMES } from '../helpers.js';

/** quickjs-wasm sandboxes are runtimes inside threads of this process: no pid, no OS layer. */
export function hasProcesses(runtime: RuntimeName): boolean {
  return runtime !== 'quickjs-wasm';
}

/**
 * Follows a pool's workers by id (every runtime has ids; only process
 * runtimes have pids of their own: a quickjs-wasm worker reports the host's).
 */
export function trackWorkers(pool: Pool, runtime: RuntimeName): { started: Set<number>; exited: Set<number>; pids: Set<number>; live: () => number[] } {
  const started = new Set<number>();
  const exited = new Set<number>();
  const pids = new Set<number>();
  pool.on('workerstart', (e) => {
    started.add(e.workerId);
    if (hasProcesses(runtime)) pids.add(e.pid);
  });
  pool.on('workerexit', (e) => exited.add(e.workerId));
  return { started, exited, pids, live: () => [...started].filter((id) => !exited.has(id)) };
}

/** After close(): no worker process outlives its pool, and (all runtimes) every worker reported its exit. */
export async function expectAllGone(pool: Pool, runtime: RuntimeName, workers: ReturnType<typeof trackWorkers>): Promise<void> {
  for (const pid of hasProcesses(runtime) ? pool.stats().pids : []) workers.pids.add(pid);
  await pool.close();
  await waitFor(() => [...workers.pids].every((pid) => !alive(pid)), 5000).catch(() => {
    throw new Error(`worker processes outlived their pool: ${[...workers.pids].filter(alive).join(', ')}`);
  });
  expect(workers.live(), 'workers that never reported their exit').toEqual([]);
}

/**
 * What an attack handler reports back. The attack body runs inside a
 * try/catch in the handler: `ok: true` means the attempt *worked* (an escape,
 * unless it is a positive control), `ok: false` carries the error the sandbox
 * raised inside the handler.
 */
export type Outcome =
  | { kind: 'result'; ok: true; value: unknown }
  | { kind: 'result'; ok: false; code: string | null; name: string | null; message: string }
  /** The invocation itself failed: the host rejected it with this code. */
  | { kind: 'rejected'; code: string; message: string };

export interface AttackRun {
  outcome: Outcome;
  denials: DenialEvent[];
  logs: InvokeResponse['logs'];
  /** Every worker process the attack's pool started. */
  pids: number[];
  sandbox: Record<string, unknown>;
  pool: Pool;
}

/**
 * Wraps an attack body (the inside of an async function; `input` is the
 * request's JSON body, `env` the pool env) in a handler that reports success
 * or the error it met. `prelude` is module-level code (imports).
 */
export function attackModule(body: string, prelude = ''): string {
  return `${prelude}
export default { async fetch(req, env) {
  const input = req.method === 'POST' ? await req.json() : {};
  try {
    const value = await (async () => { ${body}
    })();
    return Response.json({ ok: true, value: value === undefined ? null : value });
  } catch (e) {
    const code = e && typeof e === 'object' && 'code' in e ? String(e.code) : null;
    const name = e && typeof e === 'object' && 'name' in e ? String(e.name) : null;
    return Response.json({ ok: false, code, name, message: String(e && e.message !== undefined ? e.message : e).slice(0, 2000) });
  }
} }`;
}

export interface AttackOptions {
  /** Capability overrides for `profiles.custom`; default: nothing allowed. */
  caps?: CapabilityOverrides;
  /** Extra pool options (timeoutMs, osSandbox, maxBodyBytes...). */
  pool?: Partial<PoolOptions> & Record<string, unknown>;
  /** Sent as the JSON body of a POST (the handler sees it as `input`). */
  input?: unknown;
  prelude?: string;
  /** A raw module instead of attackModule(body). */
  module?: string;
  /** Per-invocation timeout. */
  timeoutMs?: number;
}

/**
 * Runs one attack in a fresh pool of its own, closes the pool, and checks
 * that no process it started outlives it.
 */
export async function attack(runtime: RuntimeName, body: string, options: AttackOptions = {}): Promise<AttackRun> {
  const pool = createPool({
    runtime,
    capabilities: profiles.custom('attacker', options.caps ?? {}),
    source: { code: options.module ?? attackModule(body, options.prelude) },
    timeoutMs: 5000,
    ...(options.pool as Partial<PoolOptions>),
  } as PoolOptions);
  const denials: DenialEvent[] = [];
  pool.on('denied', (d) => denials.push(d));
  const workers = trackWorkers(pool, runtime);
  pool.on('error', () => {});
  let outcome: Outcome;
  let logs: InvokeResponse['logs'] = [];
  try {
    const res = await pool.invoke(
      options.input === undefined
        ? { path: '/' }
        : { method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, body: JSON.stringify(options.input) },
      options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
    );
    logs = res.logs;
    const text = res.text();
    try {
      outcome = { kind: 'result', ...(JSON.parse(text) as { ok: boolean }) } as Outcome;
    } catch {
      outcome = { kind: 'result', ok: true, value: text.slice(0, 200) };
    }
  } catch (error) {
    const e = error as { code?: string; message?: string };
    outcome = { kind: 'rejected', code: e.code ?? 'UNKNOWN', message: String(e.message) };
  }
  const sandbox = { ...pool.stats().sandbox };
  await expectAllGone(pool, runtime, workers);
  return { outcome, denials, logs, pids: [...workers.pids], sandbox, pool };
}

/** The attempt was refused inside the handler (the API or the OS said no). */
export function expectRefused(run: AttackRun, codes?: (string | RegExp)[]): void {
  const { outcome } = run;
  expect(outcome, JSON.stringify(outcome)).toMatchObject({ kind: 'result', ok: false });
  if (codes !== undefined && outcome.kind === 'result' && !outcome.ok) {
    const seen = `${outcome.code ?? ''} ${outcome.name ?? ''} ${outcome.message}`;
    expect(
      codes.some((c) => (typeof c === 'string' ? outcome.code === c || outcome.name === c : c.test(seen))),
      `expected one of ${codes.join(', ')}, got ${seen}`,
    ).toBe(true);
  }
}

/** The attempt worked (positive controls). */
export function expectWorked(run: AttackRun): unknown {
  expect(run.outcome, JSON.stringify(run.outcome)).toMatchObject({ kind: 'result', ok: true });
  return (run.outcome as { value: unknown }).value;
}

/** The invocation was failed by the host with this code. */
export function expectRejected(run: AttackRun, code: string): void {
  expect(run.outcome, JSON.stringify(run.outcome)).toMatchObject({ kind: 'rejected', code });
}

/** Refused by the API layer: CAPABILITY_DENIED inside the handler and a denial event. */
export function expectDenied(run: AttackRun, capability?: string): void {
  expectRefused(run, ['CAPABILITY_DENIED']);
  expect(run.denials.length, 'a denial event').toBeGreaterThan(0);
  if (capability !== undefined) expect(run.denials[0]?.capability).toBe(capability);
}

/** Error codes a fenced syscall surfaces as (seccomp's EPERM, Landlock's EACCES, ENOSYS...). */
export const OS_REFUSAL = ['EPERM', 'EACCES', 'ENOSYS', 'ENOENT', /Operation not permitted|Permission denied|EPERM|EACCES/];

const BYSTANDER = `export default { fetch(req) { return new Response('bystander ' + new URL(req.url).pathname) } }`;
// Not SIGINT: Ctrl-C must still stop a run.
const HOST_SIGNALS = ['SIGTERM', 'SIGHUP', 'SIGUSR2'] as const;

/**
 * Another tenant, running the same runtime for the whole describe: after every
 * attack its worker must still be the same one (the same process; for
 * quickjs-wasm, the same sandbox, which may share a thread with the attacker)
 * and still answer. Also
 * watches the host (this test process) for signals an attack might send it.
 */
export function useBystander(runtime: RuntimeName): { signals: string[]; pid: () => number; ping: (timeoutMs?: number) => Promise<string> } {
  let pool: Pool;
  let pid: number | undefined;
  let workers: ReturnType<typeof trackWorkers>;
  const state = {
    signals: [] as string[],
    pid: () => pid as number,
    /** One call to the bystander, for use while an attack is in flight. */
    ping: async (timeoutMs = 5000) => (await pool.invoke({ path: '/during-attack' }, { timeoutMs })).text(),
  };
  const listeners = HOST_SIGNALS.map((signal) => [signal, () => state.signals.push(signal)] as const);
  beforeAll(async () => {
    for (const [signal, listener] of listeners) process.on(signal, listener);
    pool = createPool({
      runtime,
      capabilities: profiles.strict('bystander'),
      source: { code: BYSTANDER },
      minWorkers: 1,
      maxWorkers: 1,
      idleTimeoutMs: 0,
    });
    workers = trackWorkers(pool, runtime);
    await pool.ready();
    pid = pool.stats().pids[0];
  });
  afterEach(async () => {
    const res = await pool.invoke({ path: '/after-attack' }, { timeoutMs: 5000 });
    expect(res.text()).toBe('bystander /after-attack');
    expect(pool.stats().pids, 'the bystander kept its worker process').toEqual(hasProcesses(runtime) ? [pid] : []);
    expect(workers.started.size, 'the bystander kept its worker').toBe(1);
    expect(workers.live(), 'the bystander kept its worker').toHaveLength(1);
    expect(state.signals, 'signals that reached the host').toEqual([]);
    expect(alive(process.pid)).toBe(true);
  });
  afterAll(async () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
    await pool.close();
  });
  return state;
}

/** A private directory tree for file attacks, removed after the describe. */
export function useTempTree(): { root: () => string } {
  let root = '';
  beforeAll(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'bunbase-sec-')));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return { root: () => root };
}

/** A node:http server on 127.0.0.1 (only ever loopback) counting the requests it sees. */
export function useLoopbackServer(handle: (req: IncomingMessage, res: ServerResponse, origin: string) => void): {
  origin: () => string;
  port: () => number;
  hits: string[];
} {
  let server: Server;
  let origin = '';
  const hits: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      handle(req, res, origin);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { origin: () => origin, port: () => Number(new URL(origin).port), hits };
}

/** The layers every fenced worker must report as on (docs/os-fence.md). */
export const FENCE_LAYERS = ['landlock', 'seccomp', 'rlimits', 'noNewPrivs'] as const;

/**
 * Which layer is expected to stop an attack:
 * - `absent`: the runtime has no such API at all (QuickJS-NG: no process, Bun, require...).
 * - `api`: the API layer refuses it (CAPABILITY_DENIED or the engine's own refusal).
 * - `os`: only the OS fence stops it (the API layer lets it through: see `osSandbox: false`).
 * - `host`: the host refuses it (fetch policy, size limits, deadlines, protocol checks).
 */
export type Layer = 'absent' | 'api' | 'os' | 'host';

export interface Control {
  body?: string;
  prelude?: string;
  caps?: CapabilityOverrides;
  pool?: Partial<PoolOptions> & Record<string, unknown>;
  input?: unknown;
  /** Checks the value the successful control returned. */
  check?: (value: unknown) => void;
}

export interface AttackRow {
  name: string;
  body: string;
  prelude?: string;
  caps?: CapabilityOverrides;
  pool?: Partial<PoolOptions> & Record<string, unknown>;
  input?: unknown;
  stop: Layer;
  /** Accepted error codes, names or message patterns of the refusal. */
  codes?: (string | RegExp)[];
  /** The positive control: the same attempt, allowed. `osSandbox: false` when stop is 'os'. */
  control: Control;
}

/**
 * Splits rows for a runtime: quickjs-wasm has no OS layer, so rows that only
 * the OS fence stops are not run there; the caller lists them as skipped with
 * that reason (`it.skip`), never drops them silently.
 */
export function splitOsRows<T extends { stop: Layer }>(runtime: RuntimeName, rows: readonly T[]): { run: T[]; skipped: T[] } {
  if (hasProcesses(runtime)) return { run: [...rows], skipped: [] };
  return { run: rows.filter((r) => r.stop !== 'os'), skipped: rows.filter((r) => r.stop === 'os') };
}

/** The skip label of an OS-layer row on quickjs-wasm. */
export const NO_OS_LAYER = 'OS layer only; quickjs-wasm has none (docs/security.md)';

/** Runs the attack (must be refused), then its positive control (must work). */
export async function checkAttack(runtime: RuntimeName, row: AttackRow): Promise<void> {
  if (row.stop === 'os' && !hasProcesses(runtime)) throw new Error(`${row.name}: an OS-layer row cannot run on ${runtime} (splitOsRows)`);
  const run = await attack(runtime, row.body, { caps: row.caps ?? {}, pool: row.pool ?? {}, prelude: row.prelude ?? '', input: row.input });
  if (row.stop === 'api' && row.codes === undefined) expectDenied(run);
  else expectRefused(run, row.codes ?? (row.stop === 'os' ? OS_REFUSAL : undefined));
  if (row.stop === 'os') expectFenced(runtime, run.sandbox);
  const c = row.control;
  const control = await attack(runtime, c.body ?? row.body, {
    caps: c.caps ?? row.caps ?? {},
    pool: c.pool ?? (row.stop === 'os' ? { ...row.pool, osSandbox: false } : row.pool ?? {}),
    prelude: c.prelude ?? row.prelude ?? '',
    input: c.input ?? row.input,
  });
  const value = expectWorked(control);
  c.check?.(value);
}

/** The fence layers a worker of this runtime must report (docs/os-fence.md). */
export function expectFenced(runtime: RuntimeName, sandbox: Record<string, unknown>): void {
  for (const layer of FENCE_LAYERS) expect(sandbox[layer], `${runtime}: sandbox layer ${layer} in ${JSON.stringify(sandbox)}`).toBe('on');
}

export const PASSWD = /^root:/;
export const checkPasswd = (value: unknown): void => {
  expect(String(value)).toMatch(PASSWD);
};

/**
 * `it.each` rows labelled in full: vitest shortens strings interpolated with
 * `$name` to 40 characters, which made test names ambiguous.
 */
export function labelled<T extends { name: string }>(rows: readonly T[], label: (row: T) => string): [string, T][] {
  return rows.map((row) => [label(row), row]);
}

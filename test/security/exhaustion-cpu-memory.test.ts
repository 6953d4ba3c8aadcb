import { describe, expect, it } from 'vitest';
import type { RuntimeName } from 'bunbase-functions';
import { RUNTIMES, useBystander, labelled } from './harness.js';
import { MB, exhaust, type ExhaustionCase } from './exhaustion-harness.js';

/**
 * CPU and memory exhaustion. Each attack ends with the exact code below, the
 * worker that ran it is replaced when its state cannot be trusted (kept when
 * the error was an ordinary, caught one), the pool answers the next call, and
 * the bystander tenant never noticed. The control runs the same code bounded
 * (`n` small) under the same limits and must succeed.
 */
interface Row extends ExhaustionCase {
  name: string;
  /** A row for one runtime only (its API does not exist in the other). */
  only?: 'bun';
  /** The code per runtime, and whether the worker is replaced. */
  expect: Record<RuntimeName, { code: string; replaced: boolean }>;
}

const KILLED = (code: string) => ({ code, replaced: true });
const KEPT = (code: string) => ({ code, replaced: false });

const ROWS: Row[] = [
  {
    name: 'an infinite loop (wall-clock deadline)',
    body: `let i = 0; while (i < n) i++; return new Response(String(i));`,
    caps: { maxCpu: 60_000 },
    pool: { timeoutMs: 1000 },
    controlN: 1000,
    expect: { bun: KILLED('TIMEOUT'), 'quickjs-ng': KILLED('TIMEOUT'), 'quickjs-wasm': KILLED('TIMEOUT') },
  },
  {
    name: 'an infinite loop (CPU limit)',
    body: `let i = 0; while (i < n) i++; return new Response(String(i));`,
    caps: { maxCpu: 300 },
    pool: { timeoutMs: 10_000 },
    controlN: 1000,
    expect: { bun: KILLED('CPU_LIMIT'), 'quickjs-ng': KILLED('CPU_LIMIT'), 'quickjs-wasm': KILLED('CPU_LIMIT') },
  },
  {
    name: 'a microtask flood (a promise chain that never yields)',
    body: `let i = 0; await new Promise((done) => { const step = () => { if (++i >= n) done(); else void Promise.resolve().then(step); }; step(); }); return new Response(String(i));`,
    caps: { maxCpu: 60_000 },
    pool: { timeoutMs: 1000 },
    controlN: 1000,
    expect: { bun: KILLED('TIMEOUT'), 'quickjs-ng': KILLED('TIMEOUT'), 'quickjs-wasm': KILLED('TIMEOUT') },
  },
  {
    name: 'a zero-delay timer flood (each timer starts two more)',
    body: `let i = 0; await new Promise((done) => { const step = () => { if (++i >= n) return done(); setTimeout(step, 0); if (!Number.isFinite(n)) setTimeout(step, 0); }; step(); }); return new Response(String(i));`,
    caps: { maxCpu: 60_000 },
    pool: { timeoutMs: 1000 },
    controlN: 100,
    expect: { bun: KILLED('TIMEOUT'), 'quickjs-ng': KILLED('TIMEOUT'), 'quickjs-wasm': KILLED('TIMEOUT') },
  },
  {
    name: 'a memory bomb',
    body: `const a = []; for (let i = 0; i < n; i++) a.push(new Array(1e6).fill(1.5)); return new Response(String(a.length));`,
    caps: { maxMemory: 64 * MB },
    // quickjs-wasm fills each array in a few hundred ms on a loaded machine: the memory
    // limit, not the harness's 2 s deadline, must be what ends it.
    pool: { timeoutMs: 20_000 },
    controlN: 1,
    expect: { bun: KILLED('MEMORY_LIMIT'), 'quickjs-ng': KILLED('MEMORY_LIMIT'), 'quickjs-wasm': KILLED('MEMORY_LIMIT') },
  },
  {
    name: 'a pile of pending promises',
    body: `const a = []; for (let i = 0; i < n; i++) a.push(new Promise(() => {})); return new Response(String(a.length));`,
    caps: { maxMemory: 64 * MB },
    // Filling 64 MB with promise objects takes QuickJS-NG seconds on a loaded machine, and
    // quickjs-wasm over 30 s: the memory limit, not a deadline, must be what ends it.
    pool: { timeoutMs: 75_000 },
    controlN: 1000,
    expect: { bun: KILLED('MEMORY_LIMIT'), 'quickjs-ng': KILLED('MEMORY_LIMIT'), 'quickjs-wasm': KILLED('MEMORY_LIMIT') },
  },
  {
    // The engine throws null, not an error, once even its "out of memory" error cannot be
    // allocated: the handler catches the first refusal and then fills the last bytes with
    // small objects. That null is still MEMORY_LIMIT, never a HANDLER_ERROR.
    name: 'memory filled past a caught refusal, then small objects to the last byte',
    body: `const keep = []; try { for (let i = 0; i < n; i++) keep.push(new Array(1000).fill(0)); } catch {} for (let i = 0; i < n; i++) keep.push({ i }); return new Response(String(keep.length));`,
    caps: { maxMemory: 64 * MB },
    pool: { timeoutMs: 30_000 },
    controlN: 10,
    expect: { bun: KILLED('MEMORY_LIMIT'), 'quickjs-ng': KILLED('MEMORY_LIMIT'), 'quickjs-wasm': KILLED('MEMORY_LIMIT') },
  },
  {
    name: 'memory filled past a caught refusal, then strings to the last byte',
    body: `const keep = []; try { for (let i = 0; i < n; i++) keep.push(new Array(1000).fill(0)); } catch {} for (let i = 0; i < n; i++) keep.push('s' + i); return new Response(String(keep.length));`,
    caps: { maxMemory: 64 * MB },
    pool: { timeoutMs: 30_000 },
    controlN: 10,
    expect: { bun: KILLED('MEMORY_LIMIT'), 'quickjs-ng': KILLED('MEMORY_LIMIT'), 'quickjs-wasm': KILLED('MEMORY_LIMIT') },
  },
  {
    // quickjs-wasm sets a timer through a host call: it reached 64 MB in 30 s while that call
    // cost 7 µs and the clock kept a list, in about 5 s since (0.3 µs, a heap). The deadline
    // is long enough that the memory limit ends it on every runtime, also on a loaded machine.
    name: 'a pending-timer flood',
    body: `let i = 0; for (; i < n; i++) setTimeout(() => {}, 1e9); return new Response(String(i));`,
    caps: { maxMemory: 64 * MB },
    pool: { timeoutMs: 25_000 },
    controlN: 1000,
    expect: { bun: KILLED('MEMORY_LIMIT'), 'quickjs-ng': KILLED('MEMORY_LIMIT'), 'quickjs-wasm': KILLED('MEMORY_LIMIT') },
  },
  // Native work no engine interrupt reaches: only the host's kill ends it.
  {
    name: 'a blocking Atomics.wait (no JavaScript runs while it waits)',
    body: `const r = Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, n); return new Response(r);`,
    caps: { maxCpu: 60_000 },
    pool: { timeoutMs: 1000 },
    controlN: 10,
    // QuickJS-NG's main thread may not block at all ("cannot block in this thread"), the bounded control neither.
    expect: { bun: KILLED('TIMEOUT'), 'quickjs-ng': KEPT('HANDLER_ERROR'), 'quickjs-wasm': KEPT('HANDLER_ERROR') },
    only: 'bun',
  },
  {
    // Repeated: JavaScriptCore gives up on one backtracking match after about 0.6 s (and answers false).
    name: 'catastrophic regular-expression backtracking (wall-clock deadline)',
    body: `let r; for (let i = 0; i < (Number.isFinite(n) ? 1 : 1000); i++) r = /^(a+)+$/.test('a'.repeat(Number.isFinite(n) ? n : 40) + '!'); return new Response(String(r));`,
    caps: { maxCpu: 60_000 },
    pool: { timeoutMs: 1000 },
    controlN: 10,
    expect: { bun: KILLED('TIMEOUT'), 'quickjs-ng': KILLED('TIMEOUT'), 'quickjs-wasm': KILLED('TIMEOUT') },
  },
  {
    name: 'catastrophic regular-expression backtracking (CPU limit)',
    body: `let r; for (let i = 0; i < (Number.isFinite(n) ? 1 : 1000); i++) r = /^(a+)+$/.test('a'.repeat(Number.isFinite(n) ? n : 40) + '!'); return new Response(String(r));`,
    caps: { maxCpu: 300 },
    pool: { timeoutMs: 10_000 },
    controlN: 10,
    expect: { bun: KILLED('CPU_LIMIT'), 'quickjs-ng': KILLED('CPU_LIMIT'), 'quickjs-wasm': KILLED('CPU_LIMIT') },
  },
  {
    name: 'Bun.sleepSync (a native sleep)',
    body: `Bun.sleepSync(Number.isFinite(n) ? n : 1e9); return new Response('slept');`,
    caps: { maxCpu: 60_000 },
    pool: { timeoutMs: 1000 },
    controlN: 10,
    expect: { bun: KILLED('TIMEOUT'), 'quickjs-ng': KEPT('HANDLER_ERROR'), 'quickjs-wasm': KEPT('HANDLER_ERROR') },
    only: 'bun',
  },
  {
    // Bun: RLIMIT_DATA (maxMemory + 400 MB, the OS layer) refuses the allocation itself, a
    // catchable RangeError. QuickJS-NG: the engine's allocation limit, and the worker is replaced.
    name: 'a single 1 GB allocation',
    body: `const a = new Uint8Array(Number.isFinite(n) ? n : ${1024 * MB}); a.fill(1); return new Response(String(a.length));`,
    caps: { maxMemory: 64 * MB },
    controlN: MB,
    expect: { bun: KEPT('HANDLER_ERROR'), 'quickjs-ng': KILLED('MEMORY_LIMIT'), 'quickjs-wasm': KILLED('MEMORY_LIMIT') },
  },
  {
    // The same without the OS fence: the allocation succeeds and the host's watchdog kills the filler.
    name: 'a single 1 GB allocation with osSandbox: false (no RLIMIT_DATA)',
    body: `const a = new Uint8Array(Number.isFinite(n) ? n : ${1024 * MB}); a.fill(1); return new Response(String(a.length));`,
    caps: { maxMemory: 64 * MB },
    pool: { osSandbox: false },
    controlN: MB,
    expect: { bun: KILLED('MEMORY_LIMIT'), 'quickjs-ng': KILLED('MEMORY_LIMIT'), 'quickjs-wasm': KILLED('MEMORY_LIMIT') },
    only: 'bun',
  },
  {
    // Both engines cap a string's length below maxMemory: an ordinary, catchable error.
    name: 'string doubling',
    body: `let s = 'x'; for (let i = 0; i < n; i++) s += s; return new Response(String(s.length));`,
    caps: { maxMemory: 64 * MB },
    controlN: 10,
    expect: { bun: KEPT('HANDLER_ERROR'), 'quickjs-ng': KEPT('HANDLER_ERROR'), 'quickjs-wasm': KEPT('HANDLER_ERROR') },
  },
  {
    // A stack overflow is caught by the engine and is an ordinary error: the worker lives on.
    name: 'deep recursion',
    body: `const f = (d) => (d >= n ? d : f(d + 1) + 0); return new Response(String(f(0)));`,
    controlN: 1000,
    expect: { bun: KEPT('HANDLER_ERROR'), 'quickjs-ng': KEPT('HANDLER_ERROR'), 'quickjs-wasm': KEPT('HANDLER_ERROR') },
  },
];

describe.each(RUNTIMES)('%s: CPU and memory exhaustion', (runtime) => {
  const bystander = useBystander(runtime);

  it.each(labelled(ROWS.filter((r) => r.only === undefined || r.only === runtime), (r) => `${r.name} ends with its limit (host layer), the pool answers on`))('%s', async (_label, row) => {
    const attack = exhaust(runtime, row);
    // Another tenant is served while the attack is in flight.
    await new Promise((r) => setTimeout(r, 50));
    // A quickjs-wasm bystander that shares the attacker's thread is served once the attacker's
    // limit ends it (docs/security.md, "Shared threads, shared time"): it waits, it is not lost.
    const wait = runtime === 'quickjs-wasm' ? (row.pool?.timeoutMs ?? 2000) + 15_000 : 5000;
    expect(await bystander.ping(wait)).toBe('bystander /during-attack');
    const result = await attack;
    const want = row.expect[runtime];
    expect(result.code, result.response?.text()).toBe(want.code);
    expect(result.replaced, 'the worker was replaced').toBe(want.replaced);
    expect(result.control.status).toBe(200);
    // Filling 64 MB with promises takes quickjs-wasm tens of seconds on a loaded machine.
  }, 90_000);
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RUNTIMES, attack, checkAttack, expectFenced, expectWorked, hasProcesses, useBystander, type AttackRow, labelled } from './harness.js';

/**
 * Signals to the host. The host (this test process) counts every SIGTERM,
 * SIGHUP and SIGUSR2 it receives (useBystander), so a signal that got
 * through fails the test instead of ending the run; the bystander tenant's
 * worker must keep its pid. The host's pid is passed in the request, as an
 * attacker could guess it.
 *
 * Controls never send a real signal: they send signal 0, which checks
 * permission to signal without delivering anything, and it succeeds unfenced.
 * `kill(-1, ...)` is only ever tried with signal 0, since unfenced it would
 * reach every process of the user.
 */
const CHILDREN = { allowChildProcess: true };
// bun:ffi needs JSC's JIT, which Bun gives up under RLIMIT_DATA; maxMemory 0 keeps it.
const FFI_CAPS = { allowChildProcess: true, maxMemory: 0 };
const ffiKill = (lib: string, target: string, signal: number) =>
  `const libc = ${lib}('libc.so.6', { kill: { args: ['i32', 'i32'], returns: 'i32' } }); const rc = libc.symbols.kill(${target}, ${signal}); if (rc !== 0) throw Object.assign(new Error('kill() returned ' + rc), { code: 'EPERM' }); return 'sent';`;
// process._kill is Bun's internal kill(2) behind process.kill, returning the errno.
const internalKill = (target: string, signal: number) =>
  `const rc = process._kill(${target}, ${signal}); if (rc !== 0) throw Object.assign(new Error('process._kill returned ' + rc), { code: 'EPERM' }); return 'sent';`;
/**
 * No profile lets process.kill signal another process (the entry allows only
 * the worker's own pid, whatever allowChildProcess says), so the control of
 * the API rows is the same permission check (signal 0) through bun:ffi —
 * which allowChildProcess lifts — with the OS fence off: it is allowed.
 */
const ffiProbe = (target: string) => ({ caps: FFI_CAPS, pool: { osSandbox: false }, body: `const { dlopen } = require('bun:ffi'); ${ffiKill('dlopen', target, 0)}`, check: (v: unknown) => expect(v).toBe('sent') });

const BUN: AttackRow[] = [
  { name: "process.kill(<host pid>, 'SIGTERM')", body: `return process.kill(input.host, 'SIGTERM');`, stop: 'api', control: ffiProbe('input.host') },
  { name: "process.kill(<host pid>, 'SIGTERM') with allowChildProcess", body: `return process.kill(input.host, 'SIGTERM');`, caps: CHILDREN, stop: 'api', control: ffiProbe('input.host') },
  { name: 'process.kill(-1, 0) (every process of the user)', body: `return process.kill(-1, 0);`, stop: 'api', control: ffiProbe('-1') },
  { name: 'process.kill(-1, 0) with allowChildProcess', body: `return process.kill(-1, 0);`, caps: CHILDREN, stop: 'api', control: ffiProbe('-1') },
  { name: "process.kill(0, 'SIGTERM') (the process group)", body: `return process.kill(0, 'SIGTERM');`, caps: CHILDREN, stop: 'api', control: ffiProbe('0') },
  { name: "process.kill(<bystander pid>, 'SIGTERM') with allowChildProcess (another tenant)", body: `return process.kill(input.bystander, 'SIGTERM');`, caps: CHILDREN, stop: 'api', control: ffiProbe('input.bystander') },
  { name: 'bun:ffi kill(<host pid>, SIGTERM)', body: `const { dlopen } = require('bun:ffi'); ${ffiKill('dlopen', 'input.host', 15)}`, caps: { maxMemory: 0 }, stop: 'api', control: ffiProbe('input.host') },
  { name: 'Bun.FFI kill(<host pid>, SIGTERM)', body: ffiKill('Bun.FFI.dlopen', 'input.host', 15), caps: { maxMemory: 0 }, stop: 'api', control: ffiProbe('input.host') },
  { name: 'Bun.FFI kill(-1, 0)', body: ffiKill('Bun.FFI.dlopen', '-1', 0), caps: { maxMemory: 0 }, stop: 'api', control: ffiProbe('-1') },
  // process._kill is the internal kill(2) behind process.kill; the entry limits it to the worker itself too.
  { name: 'process._kill(<host pid>, SIGTERM) (internal)', body: internalKill('input.host', 15), stop: 'api', control: ffiProbe('input.host') },
  { name: 'process._kill(<host pid>, SIGTERM) with allowChildProcess', body: internalKill('input.host', 15), caps: CHILDREN, stop: 'api', control: ffiProbe('input.host') },
  { name: 'process._kill(<bystander pid>, SIGTERM) with allowChildProcess (another tenant)', body: internalKill('input.bystander', 15), caps: CHILDREN, stop: 'api', control: ffiProbe('input.bystander') },
  { name: 'process._kill(0, SIGTERM) (the process group)', body: internalKill('0', 15), stop: 'api', control: ffiProbe('0') },
  // The API layer lets this through: allowChildProcess lifts the bun:ffi patches. With children
  // allowed the fence leaves signals to Landlock's scoping: only the worker and its descendants.
  { name: 'bun:ffi kill(<host pid>, SIGTERM) with allowChildProcess (bun:ffi lifted)', body: `const { dlopen } = require('bun:ffi'); ${ffiKill('dlopen', 'input.host', 15)}`, caps: FFI_CAPS, stop: 'os', codes: ['EPERM'], control: { body: `const { dlopen } = require('bun:ffi'); ${ffiKill('dlopen', 'input.host', 0)}`, check: (v) => expect(v).toBe('sent') } },
  // Not tried: kill(-1, …) with allowChildProcess through an unpatched road. Landlock's scoping
  // refuses each process separately, and kill(-1) reports success even when every one refused
  // (Linux counts only non-EPERM errors), so signal 0 proves nothing there and a real one is out of question.
];

describe.each(RUNTIMES)('%s: signals to the host and other tenants', (runtime) => {
  const bystander = useBystander(runtime);

  if (runtime === 'bun') {
    it.each(labelled(BUN, (r) => `${r.name} is refused (${r.stop} layer)`))('%s', async (_label, row) => {
      const input = { host: process.pid, bystander: bystander.pid() };
      await checkAttack(runtime, { ...row, input, control: { ...row.control, input } });
    });

    it('bun:ffi kill(0, SIGTERM) with allowChildProcess (the process group) only ends the worker itself: it leads its own process group (os layer)', async () => {
      const run = await attack(runtime, `const { dlopen } = require('bun:ffi'); dlopen('libc.so.6', { kill: { args: ['i32', 'i32'], returns: 'i32' } }).symbols.kill(0, 15); await new Promise((r) => setTimeout(r, 1000)); return 'survived';`, { caps: FFI_CAPS });
      expect(run.outcome).toMatchObject({ kind: 'rejected', code: 'WORKER_CRASHED' });
      // Control: unfenced, the worker shares the host's process group, which the same call would signal.
      const pgrp = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      const hostGroup = pgrp(readFileSync('/proc/self/stat', 'utf8'));
      const stat = `const s = await (await Bun.fetch('file:///proc/self/stat')).text(); return [Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[2]), process.pid];`;
      const control = await attack(runtime, stat, { pool: { osSandbox: false } });
      expect((expectWorked(control) as number[])[0]).toBe(hostGroup);
      // Fenced, the worker's group is its own (/proc/self/stat is not readable there: the group id comes from bun:ffi).
      const fenced = await attack(runtime, `const { dlopen } = require('bun:ffi'); const l = dlopen('libc.so.6', { getpgrp: { args: [], returns: 'i32' } }); return [l.symbols.getpgrp(), process.pid];`, { caps: FFI_CAPS });
      const [group, pid] = expectWorked(fenced) as number[];
      expect(group).toBe(pid);
    });

    it("bun:ffi setpgid(0, the host's group) with allowChildProcess is refused: the worker shares the host's session, not its group (os layer)", async () => {
      const hostGroup = Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ')[2]);
      const join = `const { dlopen } = require('bun:ffi'); const l = dlopen('libc.so.6', { setpgid: { args: ['i32', 'i32'], returns: 'i32' }, getpgrp: { args: [], returns: 'i32' } });
        const own = l.symbols.setpgid(0, 0); return [own, l.symbols.setpgid(0, input.group), l.symbols.getpgrp(), process.pid];`;
      const fenced = await attack(runtime, join, { caps: FFI_CAPS, input: { group: hostGroup } });
      const [, joined, group, pid] = expectWorked(fenced) as number[];
      expect(joined).toBe(-1);
      expect(group).toBe(pid);
      // Control: unfenced, the same calls move the worker out of the host's group and back into it.
      const control = await attack(runtime, join, { caps: FFI_CAPS, input: { group: hostGroup }, pool: { osSandbox: false } });
      expect(expectWorked(control) as number[]).toEqual([0, 0, hostGroup, expect.any(Number)]);
    });
  } else {
    it('process.kill and every signal API do not exist (the API is absent)', async () => {
      await checkAttack(runtime, {
        name: 'kill',
        body: `if (typeof globalThis.process?.kill === 'function' || typeof Bun !== 'undefined' || typeof os !== 'undefined') return 'found'; throw Object.assign(new Error('no signal API'), { code: 'API_ABSENT' });`,
        caps: CHILDREN,
        stop: 'absent',
        codes: ['API_ABSENT'],
        control: { body: `return 'ran';` },
      });
    });
  }

  // OS layer only: a quickjs-wasm sandbox is no process; the row above (no signal API at all) is what holds there.
  it.skipIf(!hasProcesses(runtime))('the worker process is fenced', async () => {
    const run = await attack(runtime, `return 'ok';`);
    expectFenced(runtime, run.sandbox);
  });
});

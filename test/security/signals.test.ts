import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RUNTIMES, attack, checkAttack, expectFenced, expectWorked, useBystander, type AttackRow, labelled } from './harness.js';

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
const probe = (target: string) => `return process.kill(${target}, 0);`;
const ffiKill = (lib: string, target: string, signal: number) =>
  `const libc = ${lib}('libc.so.6', { kill: { args: ['i32', 'i32'], returns: 'i32' } }); const rc = libc.symbols.kill(${target}, ${signal}); if (rc !== 0) throw Object.assign(new Error('kill() returned ' + rc), { code: 'EPERM' }); return 'sent';`;

const BUN: AttackRow[] = [
  { name: "process.kill(<host pid>, 'SIGTERM')", body: `return process.kill(input.host, 'SIGTERM');`, stop: 'api', control: { caps: CHILDREN, pool: { osSandbox: false }, body: probe('input.host'), check: (v) => expect(v).toBe(true) } },
  { name: "process.kill(<host pid>, 'SIGTERM') with allowChildProcess (the API layer lifted)", body: `return process.kill(input.host, 'SIGTERM');`, caps: CHILDREN, stop: 'os', control: { body: probe('input.host'), check: (v) => expect(v).toBe(true) } },
  { name: 'process.kill(-1, 0) (every process of the user)', body: probe('-1'), stop: 'api', control: { caps: CHILDREN, pool: { osSandbox: false }, check: (v) => expect(v).toBe(true) } },
  // Not tried with allowChildProcess: the fence then leaves signals to Landlock's scoping, which
  // refuses each process separately, and kill(-1) reports success even when every one refused
  // (Linux counts only non-EPERM errors), so signal 0 proves nothing there and a real one is out of question.
  { name: 'kill(-1, 0) through Bun.FFI (unpatched)', body: ffiKill('Bun.FFI.dlopen', '-1', 0), caps: { maxMemory: 0 }, stop: 'os', codes: ['EPERM'], control: { check: (v) => expect(v).toBe('sent') } },
  { name: 'process.kill(<bystander pid>, SIGTERM) with allowChildProcess (another tenant)', body: `return process.kill(input.bystander, 'SIGTERM');`, caps: CHILDREN, stop: 'os', control: { body: probe('input.bystander'), check: (v) => expect(v).toBe(true) } },
  { name: "bun:ffi kill(<host pid>, SIGTERM)", body: `const { dlopen } = require('bun:ffi'); ${ffiKill('dlopen', 'input.host', 15)}`, caps: { maxMemory: 0 }, stop: 'api', control: { caps: FFI_CAPS, pool: { osSandbox: false }, body: `const { dlopen } = require('bun:ffi'); ${ffiKill('dlopen', 'input.host', 0)}`, check: (v) => expect(v).toBe('sent') } },
  // Bun.FFI is unpatched: seccomp allows kill() only on the worker itself.
  { name: 'Bun.FFI kill(<host pid>, SIGTERM) (unpatched)', body: ffiKill('Bun.FFI.dlopen', 'input.host', 15), caps: { maxMemory: 0 }, stop: 'os', codes: ['EPERM'], control: { body: ffiKill('Bun.FFI.dlopen', 'input.host', 0), check: (v) => expect(v).toBe('sent') } },
];

describe.each(RUNTIMES)('%s: signals to the host and other tenants', (runtime) => {
  const bystander = useBystander(runtime);

  if (runtime === 'bun') {
    it.each(labelled(BUN, (r) => `${r.name} is refused (${r.stop} layer)`))('%s', async (_label, row) => {
      const input = { host: process.pid, bystander: bystander.pid() };
      await checkAttack(runtime, { ...row, input, control: { ...row.control, input } });
    });

    it("process.kill(0, 'SIGTERM') (the process group) only ends the worker itself: it leads its own session (os layer)", async () => {
      const run = await attack(runtime, `process.kill(0, 'SIGTERM'); await new Promise((r) => setTimeout(r, 1000)); return 'survived';`, { caps: CHILDREN });
      expect(run.outcome).toMatchObject({ kind: 'rejected', code: 'WORKER_CRASHED' });
      // Control: unfenced, the worker shares the host's process group, which the same call would signal.
      const pgrp = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      const hostGroup = pgrp(readFileSync('/proc/self/stat', 'utf8'));
      const control = await attack(runtime, `const s = readFileSync('/proc/self/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[2]);`, {
        prelude: `import { readFileSync } from 'node:fs';`,
        pool: { osSandbox: false },
      });
      expect(expectWorked(control)).toBe(hostGroup);
    });
  } else {
    it('process.kill and every signal API do not exist (the API is absent)', async () => {
      await checkAttack(runtime, {
        name: 'kill',
        body: `if (typeof process !== 'undefined' || typeof Bun !== 'undefined' || typeof os !== 'undefined') return 'found'; throw Object.assign(new Error('no signal API'), { code: 'API_ABSENT' });`,
        caps: CHILDREN,
        stop: 'absent',
        codes: ['API_ABSENT'],
        control: { body: `return 'ran';` },
      });
    });
  }

  it('the worker process is fenced', async () => {
    const run = await attack(runtime, `return 'ok';`);
    expectFenced(runtime, run.sandbox);
  });
});

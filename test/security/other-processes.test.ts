import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUNTIMES, checkAttack, hasProcesses, labelled, useBystander, useTempTree, type AttackRow } from './harness.js';

/**
 * Reaching other processes without signals: another tenant's private
 * working directory, System V shared memory (a channel between tenants keyed
 * by numbers no path rule sees), the host's resource limits and the host's
 * memory. Without allowChildProcess the entry refuses both FFIs (`bun:ffi`
 * and its alias `Bun.FFI`): API rows, whose control is the same call with
 * allowChildProcess, unfenced. allowChildProcess lifts that patch, and then
 * only seccomp and Landlock stop the raw system calls: OS rows, controlled by
 * the same call with `osSandbox: false`. Every control only ever reads, or
 * writes back what it read: nothing here changes the host.
 */
// bun:ffi needs JSC's JIT, which Bun gives up under RLIMIT_DATA; maxMemory 0 keeps it.
const FFI = { maxMemory: 0 };
const FFI_LIFTED = { allowChildProcess: true, maxMemory: 0 };

/** A readable address in this (the host's) memory, for process_vm_readv. */
function hostAddress(): number {
  for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const [range, perms] = line.split(' ');
    if (perms?.startsWith('r') && range) return Number.parseInt(range.split('-')[0] as string, 16);
  }
  throw new Error('no readable mapping');
}

const SYSCALLS: { name: string; body: string; value: string }[] = [
  {
    name: 'System V shared memory (shmget), a channel between tenants',
    body: `const libc = Bun.FFI.dlopen('libc.so.6', { shmget: { args: ['i32', 'u64', 'i32'], returns: 'i32' }, shmctl: { args: ['i32', 'i32', 'ptr'], returns: 'i32' } });
      const id = libc.symbols.shmget(0, 4096, 0o1600); if (id < 0) throw Object.assign(new Error('shmget returned ' + id), { code: 'EPERM' });
      libc.symbols.shmctl(id, 0, null); return 'segment';`,
    value: 'segment',
  },
  {
    name: "setting the host's resource limits (prlimit on the host pid, to their current values)",
    body: `const libc = Bun.FFI.dlopen('libc.so.6', { prlimit: { args: ['i32', 'i32', 'ptr', 'ptr'], returns: 'i32' } });
      const limits = new BigUint64Array(2);
      if (libc.symbols.prlimit(input.host, 4, null, limits) !== 0) throw Object.assign(new Error('reading the limits failed'), { code: 'EREAD' });
      if (libc.symbols.prlimit(input.host, 4, limits, null) !== 0) throw Object.assign(new Error('prlimit refused'), { code: 'EPERM' });
      return 'set';`,
    value: 'set',
  },
  {
    name: "reading the host's memory (process_vm_readv)",
    body: `const libc = Bun.FFI.dlopen('libc.so.6', { process_vm_readv: { args: ['i32', 'ptr', 'u64', 'ptr', 'u64', 'u64'], returns: 'i64' } });
      const buf = new Uint8Array(8);
      const local = new BigUint64Array([BigInt(Bun.FFI.ptr(buf)), 8n]);
      const remote = new BigUint64Array([BigInt(input.address), 8n]);
      const n = Number(libc.symbols.process_vm_readv(input.host, local, 1, remote, 1, 0));
      if (n !== 8) throw Object.assign(new Error('process_vm_readv returned ' + n), { code: 'EPERM' });
      return 'read ' + n;`,
    value: 'read 8',
  },
];

const PLANT = (how: string) => `${how}; return 'written';`;
const ROWS: AttackRow[] = [
  {
    name: "writing into another tenant's private working directory (ESM node:fs)",
    prelude: `import { writeFileSync } from 'node:fs';`,
    body: PLANT(`writeFileSync(input.workdir + '/planted.txt', 'from another tenant')`),
    stop: 'api',
    // The control: the same write with a profile that grants that directory (set per run below).
    control: { check: (v) => expect(v).toBe('written') },
  },
  {
    name: "writing into another tenant's private working directory with the in-process `echo >` of Bun.$ (allowChildProcess, no files)",
    body: PLANT('await Bun.$`echo from-another-tenant > ${input.workdir + "/planted.txt"}`'),
    caps: { allowChildProcess: true },
    stop: 'os',
    codes: ['ShellError', /exit code 1/],
    control: { check: (v) => expect(v).toBe('written') },
  },
  ...SYSCALLS.map((c): AttackRow => ({ name: `${c.name} through Bun.FFI`, body: c.body, caps: FFI, stop: 'api', control: { caps: FFI_LIFTED, pool: { osSandbox: false }, check: (v) => expect(v).toBe(c.value) } })),
  ...SYSCALLS.map((c): AttackRow => ({ name: `${c.name} through Bun.FFI with allowChildProcess (FFI lifted)`, body: c.body, caps: FFI_LIFTED, stop: 'os', codes: ['EPERM'], control: { check: (v) => expect(v).toBe(c.value) } })),
];

describe.each(RUNTIMES)('%s: reaching other processes', (runtime) => {
  const bystander = useBystander(runtime);
  const tree = useTempTree();

  if (runtime === 'bun') {
    it.each(labelled(ROWS, (r) => `${r.name} is refused (${r.stop} layer)`))('%s', async (_label, row) => {
      const input = { host: process.pid, address: hostAddress(), workdir: readlinkSync(`/proc/${bystander.pid()}/cwd`) };
      const grant = row.stop === 'api' && row.prelude !== undefined ? { caps: { allowFilesystem: true, allowedPaths: [input.workdir] } } : {};
      await checkAttack(runtime, { ...row, input, control: { ...row.control, ...grant, input } });
    });
  } else {
    it('shared memory, prlimit, process_vm_readv and another tenant\'s files: no API for any of them (the API is absent)', () =>
      checkAttack(runtime, {
        name: 'absent',
        body: `const found = ['process', 'Bun', 'require', 'os', 'std'].filter((g) => (g === 'process' ? typeof globalThis.process?.kill === 'function' : typeof globalThis[g] !== 'undefined')); if (found.length) return found; throw Object.assign(new Error('no process API'), { code: 'API_ABSENT' });`,
        caps: { allowChildProcess: true },
        stop: 'absent',
        codes: ['API_ABSENT'],
        control: { body: `return 'ran';` },
      }));

    // A quickjs-wasm sandbox runs in no directory of its own (paths are absolute, done by the host): nothing to aim at.
    it.skipIf(!hasProcesses(runtime))("writing into the directory another tenant's worker runs in, with a file grant elsewhere, is refused (api layer)", () =>
      checkAttack(runtime, {
        name: 'workdir',
        body: `await (await import('node:fs/promises')).writeFile(input.target, 'x'); return 'written';`,
        input: { target: join(readlinkSync(`/proc/${bystander.pid()}/cwd`), 'planted-by-another-tenant.txt') },
        // The grant is a directory of this test's own, not /tmp (where the workdirs are).
        caps: { allowFilesystem: true, allowedPaths: [tree.root()] },
        stop: 'api',
        codes: [/CAPABILITY_DENIED|not allowed/],
        // The same write with the other tenant's directory granted works.
        control: { caps: { allowFilesystem: true, allowedPaths: [readlinkSync(`/proc/${bystander.pid()}/cwd`)] }, check: (v) => expect(v).toBe('written') },
      }));
  }
});

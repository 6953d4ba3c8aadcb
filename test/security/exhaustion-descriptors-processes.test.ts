import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPool, profiles } from 'bunbase-functions';
import { RUNTIMES, NO_OS_LAYER, checkAttack, hasProcesses, useBystander, type AttackRow, labelled } from './harness.js';

/**
 * Descriptor exhaustion and fork bombs. The profile's maxFileDescriptors is
 * an RLIMIT_NOFILE in the worker (the OS layer): opening past it is EMFILE, a
 * catchable error, never a starved host. A fork bomb gets no process at all
 * without allowChildProcess (the API layer; with it, forking is what the
 * profile allows, and RLIMIT_NPROC is no sound barrier: docs/os-fence.md).
 * Controls: the same loops, bounded, on a file or with a profile that allows them.
 */
const DIR = realpathSync(mkdtempSync(join(tmpdir(), 'bunbase-sec-fd-')));
writeFileSync(join(DIR, 'f.txt'), 'x');
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
const FILES = { allowFilesystem: true, allowedPaths: [DIR], maxFileDescriptors: 10 };

const openLoop = (open: string) =>
  `const fds = []; try { for (let i = 0; i < input.n; i++) fds.push(${open}); return 'opened ' + fds.length; } catch (e) { e.message = 'after ' + fds.length + ' descriptors: ' + e.message; throw e; } finally { for (const fd of fds) closeSync(fd); }`;
const FS_ESM = `import { openSync, closeSync } from 'node:fs';`;
const opened = (count: number) => (v: unknown) => expect(v).toBe(`opened ${count}`);

// fork() through Bun.FFI; a child that does get created leaves at once.
const forkLoop = `const libc = Bun.FFI.dlopen('libc.so.6', { fork: { args: [], returns: 'i32' }, _exit: { args: ['i32'], returns: 'void' }, waitpid: { args: ['i32', 'ptr', 'i32'], returns: 'i32' } });
  let forked = 0, failed = 0;
  for (let i = 0; i < input.n; i++) { const pid = libc.symbols.fork(); if (pid === 0) libc.symbols._exit(0); if (pid < 0) failed++; else { forked++; libc.symbols.waitpid(pid, null, 0); } }
  if (forked === 0) throw Object.assign(new Error('fork() failed ' + failed + ' times'), { code: 'EPERM' });
  return 'forked ' + forked;`;

// The bounded control of the /dev/null rows: /dev is never grantable, so the same loop opens a file the
// profile allows, 40 times (under the default maxFileDescriptors, 64 with Bun's own).
const OWN_FILE = { allowFilesystem: true, allowedPaths: [DIR] };
const F = JSON.stringify(join(DIR, 'f.txt'));

const BUN: AttackRow[] = [
  {
    name: 'opening /dev/null over and over through the patched fs (require)',
    prelude: FS_ESM,
    body: openLoop(`require('node:fs').openSync('/dev/null', 'r')`),
    caps: { allowFilesystem: true },
    input: { n: 100_000 },
    stop: 'api',
    codes: ['CAPABILITY_DENIED'],
    control: { caps: OWN_FILE, body: openLoop(`require('node:fs').openSync(${F}, 'r')`), input: { n: 40 }, check: opened(40) },
  },
  {
    name: 'opening /dev/null over and over through the ESM namespace of node:fs',
    prelude: FS_ESM,
    body: openLoop(`openSync('/dev/null', 'r')`),
    caps: { allowFilesystem: true },
    input: { n: 100_000 },
    stop: 'api',
    codes: ['CAPABILITY_DENIED'],
    control: { caps: OWN_FILE, body: openLoop(`openSync(${F}, 'r')`), input: { n: 40 }, check: opened(40) },
  },
  {
    // The API layer counts no descriptors: only RLIMIT_NOFILE enforces maxFileDescriptors.
    name: 'opening an allowed file over and over (maxFileDescriptors 10)',
    prelude: FS_ESM,
    body: openLoop(`require('node:fs').openSync(${F}, 'r')`),
    caps: FILES,
    input: { n: 100_000 },
    stop: 'os',
    codes: ['EMFILE'],
    control: { input: { n: 200 }, check: opened(200) },
  },
  {
    name: 'a fork bomb through child_process',
    body: `const cp = require('node:child_process'); const kids = []; for (let i = 0; i < input.n; i++) kids.push(cp.spawn('/bin/sleep', ['5'])); for (const k of kids) k.kill('SIGKILL'); return 'forked ' + kids.length;`,
    input: { n: 200 },
    stop: 'api',
    // Bounded: three children that are killed at once, with child processes allowed.
    control: { caps: { allowChildProcess: true }, input: { n: 3 }, check: (v) => expect(v).toBe('forked 3') },
  },
  {
    name: 'a fork bomb through Bun.FFI fork()',
    body: forkLoop,
    caps: { maxMemory: 0 },
    input: { n: 200 },
    stop: 'api',
    // Bounded, with allowChildProcess (which lifts the FFI patch and lets the fence fork).
    // Bun crashes in each forked child on the way out; the fork itself is what counts.
    control: { caps: { allowChildProcess: true, maxMemory: 0 }, input: { n: 3 }, check: (v) => expect(v).toBe('forked 3') },
  },
];

describe.each(RUNTIMES)('%s: descriptor exhaustion and fork bombs', (runtime) => {
  useBystander(runtime);

  if (runtime === 'bun') {
    it.each(labelled(BUN, (r) => `${r.name} is refused (${r.stop} layer)`))('%s', (_label, row) => checkAttack(runtime, row));
  } else {
    it('opening /dev/null is refused: /dev is never grantable (api layer)', () =>
      checkAttack(runtime, {
        name: '/dev/null',
        body: `const fsp = await import('node:fs/promises'); for (let i = 0; i < 1000; i++) await fsp.readFile('/dev/null'); return 'read';`,
        caps: { allowFilesystem: true },
        stop: 'api',
        codes: [/CAPABILITY_DENIED|never allowed/],
        control: { body: `const fsp = await import('node:fs/promises'); for (let i = 0; i < 200; i++) await fsp.readFile(${JSON.stringify(join(DIR, 'f.txt'))}); return 'read';`, check: (v) => expect(v).toBe('read') },
      }));

    it.skipIf(!hasProcesses(runtime))(`2000 concurrent reads of an allowed file never exceed maxFileDescriptors: the worker keeps within RLIMIT_NOFILE (os layer)${hasProcesses(runtime) ? '' : ` [${NO_OS_LAYER}; the host's own bound is in wasm-host-calls.test.ts]`}`, async () => {
      const p = createPool({
        runtime,
        capabilities: profiles.custom('fds', FILES),
        source: {
          code: `export default { async fetch() {
            const fsp = await import('node:fs/promises');
            const r = await Promise.allSettled(Array.from({ length: 2000 }, () => fsp.readFile(${JSON.stringify(join(DIR, 'f.txt'))}, 'utf8')));
            const codes = [...new Set(r.map((x) => (x.status === 'fulfilled' ? 'ok' : x.reason.code)))];
            return Response.json(codes);
          } }`,
        },
        minWorkers: 1,
      });
      try {
        await p.ready();
        const pid = p.stats().pids[0] as number;
        const limits = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files')) ?? '';
        const soft = Number(limits.split(/\s{2,}/)[1]);
        expect(soft).toBeLessThanOrEqual(64);
        const codes = (await p.invoke({ path: '/' })).json() as string[];
        // Every read either worked or met EMFILE; nothing else, and the worker answers.
        expect(codes.every((c) => c === 'ok' || c === 'EMFILE'), codes.join(',')).toBe(true);
        expect(codes).toContain('ok');
        expect(p.stats().pids).toEqual([pid]);
      } finally {
        await p.close();
      }
    });

    it('a fork bomb has nothing to fork with: no process API exists (the API is absent)', () =>
      checkAttack(runtime, {
        name: 'fork',
        body: `const found = ['process', 'Bun', 'require', 'Worker', 'os'].filter((g) => (g === 'process' ? typeof globalThis.process?.kill === 'function' : typeof globalThis[g] !== 'undefined')); if (found.length) return found; throw Object.assign(new Error('no process API'), { code: 'API_ABSENT' });`,
        caps: { allowChildProcess: true },
        stop: 'absent',
        codes: ['API_ABSENT'],
        control: { body: `return 'ran';` },
      }));
  }
});

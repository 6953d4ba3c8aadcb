import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RUNTIMES, attack, checkAttack, expectRefused, useBystander, type AttackRow, labelled } from './harness.js';

/**
 * Starting processes without `allowChildProcess`. Each attempt tries to
 * create a marker file through a child process; the marker must never
 * appear. API rows' controls allow child processes (and the marker's
 * directory); OS rows — a child started with allowChildProcess but no file
 * grant — are controlled by the same code with `osSandbox: false`.
 */
const MARKER_DIR = realpathSync(mkdtempSync(join(tmpdir(), 'bunbase-sec-proc-')));
const MARKER = join(MARKER_DIR, 'marker');
// Children inherit the fence: the control grants the marker's directory too.
const CHILDREN = { allowChildProcess: true, allowFilesystem: true, allowedPaths: [MARKER_DIR] };
afterAll(() => rmSync(MARKER_DIR, { recursive: true, force: true }));
const TOUCH = `touch ${MARKER}`;
// bun:ffi needs JSC's JIT, which Bun gives up under RLIMIT_DATA (the fence's
// memory limit); maxMemory 0 keeps the JIT so that seccomp is what is tested.
const NO_RLIMIT_DATA = { maxMemory: 0 };

const ffiSystem = (lib: string) =>
  `const libc = ${lib}('libc.so.6', { system: { args: ['cstring'], returns: 'i32' } }); const rc = libc.symbols.system(Buffer.from(${JSON.stringify(TOUCH)} + '\\0')); if (rc !== 0) throw Object.assign(new Error('system() returned ' + rc), { code: 'CHILD_FAILED' }); return 'ran';`;

const BUN: AttackRow[] = [
  { name: 'child_process.execSync', body: `require('node:child_process').execSync(${JSON.stringify(TOUCH)}); return 'ran';`, stop: 'api', control: { caps: CHILDREN } },
  { name: 'child_process.exec', body: `await new Promise((r, j) => require('node:child_process').exec(${JSON.stringify(TOUCH)}, (e) => (e ? j(e) : r()))); return 'ran';`, stop: 'api', control: { caps: CHILDREN } },
  { name: 'child_process.spawnSync', body: `require('node:child_process').spawnSync('/bin/sh', ['-c', ${JSON.stringify(TOUCH)}]); return 'ran';`, stop: 'api', control: { caps: CHILDREN } },
  { name: 'child_process.spawn', body: `await new Promise((r, j) => require('node:child_process').spawn('/bin/sh', ['-c', ${JSON.stringify(TOUCH)}]).on('exit', r).on('error', j)); return 'ran';`, stop: 'api', control: { caps: CHILDREN } },
  { name: 'child_process.execFile (ESM import)', prelude: `import { execFileSync } from 'node:child_process';`, body: `execFileSync('/bin/sh', ['-c', ${JSON.stringify(TOUCH)}]); return 'ran';`, stop: 'api', control: { caps: CHILDREN } },
  {
    name: 'child_process.fork',
    body: `require('node:child_process').fork('/dev/null'); return 'ran';`,
    stop: 'api',
    // fork() runs a JS file; the control runs the marker command through the same module.
    control: { caps: CHILDREN, body: `require('node:child_process').execSync(${JSON.stringify(TOUCH)}); return 'ran';` },
  },
  {
    name: 'ChildProcess.prototype.spawn',
    body: `const { ChildProcess } = require('node:child_process'); const c = new ChildProcess(); c.spawn({ file: '/bin/sh', args: ['/bin/sh', '-c', ${JSON.stringify(TOUCH)}], stdio: ['pipe', 'pipe', 'pipe'] }); await new Promise((r) => c.on('exit', r)); return 'ran';`,
    stop: 'api',
    control: { caps: CHILDREN },
  },
  { name: 'Bun.spawnSync', body: `Bun.spawnSync(['/bin/sh', '-c', ${JSON.stringify(TOUCH)}]); return 'ran';`, stop: 'api', control: { caps: CHILDREN } },
  { name: 'Bun.spawn', body: `await Bun.spawn(['/bin/sh', '-c', ${JSON.stringify(TOUCH)}]).exited; return 'ran';`, stop: 'api', control: { caps: CHILDREN } },
  // Through /bin/sh: Bun.$ runs `touch` itself, in-process, which is no child process at all.
  { name: 'Bun.$', body: `await Bun.$\`/bin/sh -c \${${JSON.stringify(TOUCH)}}\`; return 'ran';`, stop: 'api', control: { caps: CHILDREN } },
  { name: "require('bun:ffi').dlopen(libc).system", body: `const { dlopen } = require('bun:ffi'); ${ffiSystem('dlopen')}`, caps: NO_RLIMIT_DATA, stop: 'api', control: { caps: { ...CHILDREN, ...NO_RLIMIT_DATA } } },
  {
    name: 'process.dlopen',
    body: `const m = { exports: {} }; process.dlopen(m, '/lib/x86_64-linux-gnu/libc.so.6'); return 'ran';`,
    stop: 'api',
    // libc is no Node-API module: a "napi_register_module_v1" error means it was loaded.
    control: { caps: CHILDREN, body: `try { process.dlopen({ exports: {} }, '/lib/x86_64-linux-gnu/libc.so.6'); } catch (e) { if (/napi_register_module_v1/.test(e.message)) return 'ran'; throw e; }` },
  },
  {
    name: 'new Worker',
    body: `const w = new Worker('data:text/javascript,postMessage(42)'); return await new Promise((r) => (w.onmessage = (e) => { w.terminate(); r(e.data); }));`,
    stop: 'api',
    control: { caps: { ...CHILDREN, allowEval: true }, check: (v) => expect(v).toBe(42) },
  },
  {
    name: 'worker_threads.Worker',
    body: `const { Worker } = require('node:worker_threads'); const w = new Worker('postMessage(42)', { eval: true }); return 'ran';`,
    stop: 'api',
    control: { caps: { ...CHILDREN, allowEval: true }, body: `const w = new Worker('data:text/javascript,postMessage(42)'); return await new Promise((r) => (w.onmessage = (e) => { w.terminate(); r('ran'); }));` },
  },
  // Bun.FFI is the same FFI under another name; the entry patches it too now.
  { name: 'Bun.FFI.dlopen(libc).system', body: ffiSystem('Bun.FFI.dlopen'), caps: NO_RLIMIT_DATA, stop: 'api', control: { caps: { ...CHILDREN, ...NO_RLIMIT_DATA } } },
  // allowChildProcess lifts the patches: the child then runs, but inside the fence, where the marker's directory is not granted.
  { name: 'Bun.FFI.dlopen(libc).system with allowChildProcess but no files (the child inherits Landlock)', body: ffiSystem('Bun.FFI.dlopen'), caps: { allowChildProcess: true, ...NO_RLIMIT_DATA }, stop: 'os', codes: ['CHILD_FAILED'], control: {} },
  { name: 'Bun.spawn with allowChildProcess but no files (the child inherits Landlock)', body: `const p = Bun.spawn(['/bin/sh', '-c', ${JSON.stringify(TOUCH)}]); if ((await p.exited) !== 0) throw Object.assign(new Error('exit code ' + p.exitCode), { code: 'CHILD_FAILED' }); return 'ran';`, caps: { allowChildProcess: true }, stop: 'os', codes: ['CHILD_FAILED'], control: {} },
];

const QJS: AttackRow[] = [
  {
    name: 'process, Bun, require, Worker and node:child_process do not exist (the API is absent)',
    body: `const found = ['process', 'Bun', 'require', 'Worker', 'SharedWorker', 'Deno', 'os'].filter((g) => (g === 'process' ? typeof globalThis.process?.kill === 'function' : typeof globalThis[g] !== 'undefined')); for (const m of ['node:child_process', 'child_process', 'qjs:os', 'bun:ffi']) { try { await import(m); found.push(m); } catch {} } if (found.length) return found; throw Object.assign(new Error('no process API'), { code: 'API_ABSENT' });`,
    caps: CHILDREN,
    stop: 'absent',
    codes: ['API_ABSENT'],
    // Even allowChildProcess adds no process API to this runtime; the handler itself runs.
    control: { body: `return 'ran';` },
  },
];

describe.each(RUNTIMES)('%s: starting processes without allowChildProcess', (runtime) => {
  useBystander(runtime);
  afterEach(() => rmSync(MARKER, { force: true }));

  it.each(labelled(runtime === 'bun' ? BUN : QJS, (r) => `${r.name} is refused (${r.stop} layer)`))('%s', async (_label, row) => {
    await checkAttack(runtime, {
      ...row,
      control: {
        ...row.control,
        check: (v) => {
          // The control really started a process: the marker exists.
          if (row.control.check) row.control.check(v);
          else expect(v).toBe('ran');
          if (runtime === 'bun' && row.control.body === undefined && row.control.check === undefined) expect(existsSync(MARKER), 'the control created the marker').toBe(true);
          rmSync(MARKER, { force: true });
        },
      },
    });
  });

  it.each(labelled(runtime === 'bun' ? BUN : QJS, (r) => `${r.name} creates nothing`))('%s', async (_label, row) => {
    expectRefused(await attack(runtime, row.body, { caps: row.caps ?? {}, prelude: row.prelude ?? '' }));
    expect(existsSync(MARKER)).toBe(false);
  });
});

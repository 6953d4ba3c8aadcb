import { describe, expect, it } from 'vitest';
import { RUNTIMES, checkAttack, checkPasswd, useBystander, type AttackRow, labelled } from './harness.js';

/**
 * /proc is never grantable, even with `allowFilesystem: true` and no path
 * list (every path): the process's own environment and memory, and other
 * processes' through /proc/<pid>/, stay closed. Bun's API layer refuses every
 * file API it patches (node:fs by require or as an ES module, Bun.file).
 * No profile grants /proc, so the control of those rows is the one road the
 * API layer cannot patch, `Bun.fetch('file://…')`, with the OS fence off: it
 * reads the file, so the refusal is the sandbox's doing. That road itself is
 * stopped by Landlock alone (the `os` rows).
 */
const FS_ALL = { allowFilesystem: true };
const ESM_FS = `import { readFileSync, openSync } from 'node:fs';`;
const isString = (v: unknown): void => expect(typeof v).toBe('string');

const readOp = (target: string) => `readFileSync(${JSON.stringify(target)}, 'latin1').slice(0, 64)`;
const fetchOp = (target: string) => `(await (await Bun.fetch(${JSON.stringify(`file://${target}`)})).text()).slice(0, 64)`;
// /proc/self/mem opens, but reading at offset 0 (unmapped) is EIO: the open is what counts.
const fetchMem = `try { await (await Bun.fetch('file:///proc/self/mem')).text(); return 'read'; } catch (e) { if (e.code === 'EIO') return 'opened'; throw e; }`;

/**
 * `controlTarget`: pid 1 belongs to another user namespace on some machines
 * (CI containers), where even the host cannot read /proc/1/*; the control then
 * reads the same file of the host process, which the host can always read.
 */
function bunRows(target: string, control: (v: unknown) => void, op = readOp(target), controlTarget = target, fetchBody = `return ${fetchOp(target)};`, controlFetch = `return ${fetchOp(controlTarget)};`): AttackRow[] {
  const unfenced = { body: controlFetch, pool: { osSandbox: false }, check: control };
  return [
    { name: `${target} through the patched fs (require)`, body: `return require('node:fs').${op};`, caps: FS_ALL, stop: 'api', codes: ['CAPABILITY_DENIED'], control: unfenced },
    { name: `${target} through Bun.file`, body: `return (await Bun.file(${JSON.stringify(target)}).text()).slice(0, 64);`, caps: FS_ALL, stop: 'api', codes: ['CAPABILITY_DENIED'], control: unfenced },
    { name: `${target} through the ESM namespace of node:fs`, prelude: ESM_FS, body: `return ${op};`, caps: FS_ALL, stop: 'api', codes: ['CAPABILITY_DENIED'], control: unfenced },
    { name: `${target} through Bun.fetch('file://…') (unpatchable)`, body: fetchBody, caps: FS_ALL, stop: 'os', codes: ['EACCES'], control: { body: controlFetch, check: control } },
  ];
}

const BUN: AttackRow[] = [
  // The patched fs decodes file: URLs as fs does (fileURLToPath): /pro%63 is /proc to the check too.
  // Its control reads the same file through Bun.fetch (which the API layer cannot patch) with the fence off.
  {
    name: '/proc/<host pid>/environ through the patched fs with a percent-encoded file: URL (file:///pro%63/…)',
    body: `return require('node:fs').readFileSync(new URL('file:///pro%63/' + ${process.pid} + '/environ'), 'latin1').slice(0, 64);`,
    caps: FS_ALL,
    stop: 'api',
    codes: ['CAPABILITY_DENIED'],
    control: {
      body: `return (await (await Bun.fetch('file:///pro%63/' + ${process.pid} + '/environ')).text()).slice(0, 64);`,
      pool: { osSandbox: false },
      check: (v) => expect(String(v)).toContain('='),
    },
  },
  ...bunRows('/proc/self/environ', isString),
  ...bunRows('/proc/1/environ', (v) => expect(String(v)).toContain('='), readOp('/proc/1/environ'), `/proc/${process.pid}/environ`),
  ...bunRows('/proc/self/mem', (v) => expect(v).toBe('opened'), `openSync('/proc/self/mem', 'r')`, '/proc/self/mem', fetchMem, fetchMem),
  ...bunRows('/proc/1/root/etc/passwd', checkPasswd, readOp('/proc/1/root/etc/passwd'), `/proc/${process.pid}/root/etc/passwd`),
];

// QuickJS-NG's only file API is its checked node:fs/promises; with every path
// allowed, /proc stays refused. The control reads an ordinary file through
// the same API and profile, so a broken fs module would fail the test.
const qjsRow = (target: string, codes: (string | RegExp)[] = [/CAPABILITY_DENIED|never allowed/]): AttackRow => ({
  name: target,
  body: `const fs = await import('node:fs/promises'); return (await fs.readFile(${JSON.stringify(target)}, 'latin1')).slice(0, 64);`,
  caps: FS_ALL,
  stop: 'api',
  codes,
  control: { body: `const fs = await import('node:fs/promises'); return (await fs.readFile('/etc/passwd', 'latin1')).slice(0, 64);`, check: checkPasswd },
});
const QJS: AttackRow[] = [
  qjsRow('/proc/self/environ'),
  qjsRow('/proc/1/environ'),
  qjsRow('/proc/self/mem'),
  // /proc/1/root is a "magic link": the worker opens every component without following those.
  qjsRow('/proc/1/root/etc/passwd', [/CAPABILITY_DENIED|never allowed|EACCES|ELOOP/]),
];

describe.each(RUNTIMES)('%s: /proc stays closed with every other path allowed', (runtime) => {
  useBystander(runtime);
  it.each(labelled(runtime === 'bun' ? BUN : QJS, (r) => `${r.name} is refused (${r.stop} layer)`))('%s', (_label, row) => checkAttack(runtime, row));
});

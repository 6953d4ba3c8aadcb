import { describe, expect, it } from 'vitest';
import { RUNTIMES, checkAttack, checkPasswd, useBystander, type AttackRow, labelled } from './harness.js';

/**
 * /proc is never grantable, even with `allowFilesystem: true` and no path
 * list (every path): the process's own environment and memory, and other
 * processes' through /proc/<pid>/, stay closed. Bun's API layer refuses its
 * patched file APIs; the ESM namespace of node:fs is not patched, and only
 * Landlock stops it (control: the same read with `osSandbox: false` works).
 */
const FS_ALL = { allowFilesystem: true };
const ESM_FS = `import { readFileSync, openSync } from 'node:fs';`;
const isString = (v: unknown): void => expect(typeof v).toBe('string');

const readOp = (target: string) => `readFileSync(${JSON.stringify(target)}, 'latin1').slice(0, 64)`;

/**
 * `controlTarget`: pid 1 belongs to another user namespace on some machines
 * (CI containers), where even the host cannot read /proc/1/*; the control then
 * reads the same file of the host process, which the host can always read.
 */
function bunRows(target: string, control: (v: unknown) => void, op = readOp(target), controlOp = op): AttackRow[] {
  return [
    {
      name: `${target} through the patched fs`,
      body: `return require('node:fs').${op};`,
      caps: FS_ALL,
      stop: 'api',
      codes: ['CAPABILITY_DENIED'],
      // Nothing in the API layer grants /proc: the control is the unpatched road, unfenced.
      control: { body: `return ${controlOp};`, prelude: ESM_FS, pool: { osSandbox: false }, check: control },
    },
    {
      name: `${target} through Bun.file`,
      body: `return (await Bun.file(${JSON.stringify(target)}).text()).slice(0, 64);`,
      caps: FS_ALL,
      stop: 'api',
      codes: ['CAPABILITY_DENIED'],
      control: { body: `return ${controlOp};`, prelude: ESM_FS, pool: { osSandbox: false }, check: control },
    },
    {
      name: `${target} through the ESM namespace of node:fs (unpatched)`,
      prelude: ESM_FS,
      body: `return ${op};`,
      caps: FS_ALL,
      stop: 'os',
      control: { body: `return ${controlOp};`, check: control },
    },
  ];
}

const BUN: AttackRow[] = [
  ...bunRows('/proc/self/environ', isString),
  ...bunRows('/proc/1/environ', (v) => expect(String(v)).toContain('='), readOp('/proc/1/environ'), readOp(`/proc/${process.pid}/environ`)),
  ...bunRows('/proc/self/mem', (v) => expect(typeof v).toBe('number'), `openSync('/proc/self/mem', 'r')`),
  ...bunRows('/proc/1/root/etc/passwd', checkPasswd, readOp('/proc/1/root/etc/passwd'), readOp(`/proc/${process.pid}/root/etc/passwd`)),
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

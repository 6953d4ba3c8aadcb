import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CapabilityOverrides } from 'bunbase-functions';
import { RUNTIMES, attack, checkAttack, expectRefused, useBystander, useTempTree, type Layer } from './harness.js';

/**
 * Escapes out of an allowed directory, against real directories:
 *
 *   <root>/tenant-a/            allowed (the attacker's own)
 *   <root>/tenant-a/data.txt
 *   <root>/tenant-a/dir-link -> <root>/tenant-b   (a symlink planted by the host)
 *   <root>/tenant-a/file-link -> <root>/tenant-b/key.txt
 *   <root>/tenant-b/key.txt     another tenant's file
 *   <root>/ro/r.txt             read-only for the attacker
 *   <root>/outside/             neither
 *
 * Every attempt is refused and leaves the tree as it was. The control widens
 * the profile to the whole tree (API rows) or turns the OS fence off (OS rows:
 * the unpatched ESM namespace of node:fs, which only Landlock stops).
 */
interface EscapeRow {
  name: string;
  /** Body of the attack; `R` is the tree root (from the request). */
  bun?: string;
  bunEsm?: string;
  qjs?: string;
  caps: (root: string) => CapabilityOverrides;
  /** The control's profile for API rows; OS rows use the same profile with `osSandbox: false`. */
  controlCaps: (root: string) => CapabilityOverrides;
  expect: string;
  /** A path (relative to the root) that must not exist after the attack. */
  mustNotExist?: string;
}

const OWN = (root: string): CapabilityOverrides => ({ allowFilesystem: true, allowedPaths: [join(root, 'tenant-a')] });
const ALL = (root: string): CapabilityOverrides => ({ allowFilesystem: true, allowedPaths: [root] });
const WITH_RO = (root: string): CapabilityOverrides => ({ allowFilesystem: true, allowedPaths: [join(root, 'tenant-a')], readOnlyPaths: [join(root, 'ro')] });
const WITH_RO_WRITABLE = (root: string): CapabilityOverrides => ({ allowFilesystem: true, allowedPaths: [join(root, 'tenant-a'), join(root, 'ro')] });

const ROWS: EscapeRow[] = [
  {
    name: 'path traversal tenant-a/../tenant-b/key.txt',
    bun: `return require('node:fs').readFileSync(R + '/tenant-a/../tenant-b/key.txt', 'utf8');`,
    bunEsm: `return readFileSync(R + '/tenant-a/../tenant-b/key.txt', 'utf8');`,
    qjs: `return await fsp.readFile(R + '/tenant-a/../tenant-b/key.txt', 'utf8');`,
    caps: OWN, controlCaps: ALL, expect: 'other tenant',
  },
  {
    name: 'a planted directory symlink (tenant-a/dir-link/key.txt)',
    bun: `return await require('node:fs/promises').readFile(R + '/tenant-a/dir-link/key.txt', 'utf8');`,
    bunEsm: `return readFileSync(R + '/tenant-a/dir-link/key.txt', 'utf8');`,
    qjs: `return await fsp.readFile(R + '/tenant-a/dir-link/key.txt', 'utf8');`,
    caps: OWN, controlCaps: ALL, expect: 'other tenant',
  },
  {
    name: 'a planted file symlink (tenant-a/file-link)',
    bun: `return await Bun.file(R + '/tenant-a/file-link').text();`,
    bunEsm: `return readFileSync(R + '/tenant-a/file-link', 'utf8');`,
    qjs: `return await fsp.readFile(R + '/tenant-a/file-link', 'utf8');`,
    caps: OWN, controlCaps: ALL, expect: 'other tenant',
  },
  {
    name: "another tenant's file by its absolute path",
    bun: `return require('node:fs').readFileSync(R + '/tenant-b/key.txt', 'utf8');`,
    bunEsm: `return readFileSync(R + '/tenant-b/key.txt', 'utf8');`,
    qjs: `return await fsp.readFile(R + '/tenant-b/key.txt', 'utf8');`,
    caps: OWN, controlCaps: ALL, expect: 'other tenant',
  },
  {
    name: 'a symlink the handler plants itself, pointing at another tenant',
    // Creating the link inside the own directory is allowed (by Landlock too); following it is not.
    bun: `const fs = require('node:fs'); const l = R + '/tenant-a/planted-' + Math.random(); fs.symlinkSync(R + '/tenant-b', l); return fs.readFileSync(l + '/key.txt', 'utf8');`,
    bunEsm: `const l = R + '/tenant-a/planted-' + Math.random(); symlinkSync(R + '/tenant-b', l); return readFileSync(l + '/key.txt', 'utf8');`,
    caps: OWN, controlCaps: ALL, expect: 'other tenant',
  },
  {
    name: 'a hard link to another tenant\'s file',
    bun: `const fs = require('node:fs'); fs.linkSync(R + '/tenant-b/key.txt', R + '/tenant-a/hard'); return fs.readFileSync(R + '/tenant-a/hard', 'utf8');`,
    bunEsm: `linkSync(R + '/tenant-b/key.txt', R + '/tenant-a/hard'); return readFileSync(R + '/tenant-a/hard', 'utf8');`,
    caps: OWN, controlCaps: ALL, expect: 'other tenant', mustNotExist: 'tenant-a/hard',
  },
  {
    name: 'writing outside the allowed directories',
    bun: `require('node:fs').writeFileSync(R + '/outside/pwned.txt', 'pwned'); return 'written';`,
    bunEsm: `writeFileSync(R + '/outside/pwned.txt', 'pwned'); return 'written';`,
    qjs: `await fsp.writeFile(R + '/outside/pwned.txt', 'pwned'); return 'written';`,
    caps: OWN, controlCaps: ALL, expect: 'written', mustNotExist: 'outside/pwned.txt',
  },
  {
    name: 'writing outside through ../ from the allowed directory',
    bun: `await Bun.write(R + '/tenant-a/../outside/pwned.txt', 'pwned'); return 'written';`,
    bunEsm: `writeFileSync(R + '/tenant-a/../outside/pwned.txt', 'pwned'); return 'written';`,
    qjs: `await fsp.writeFile(R + '/tenant-a/../outside/pwned.txt', 'pwned'); return 'written';`,
    caps: OWN, controlCaps: ALL, expect: 'written', mustNotExist: 'outside/pwned.txt',
  },
  {
    name: "overwriting another tenant's file",
    bun: `require('node:fs').appendFileSync(R + '/tenant-b/key.txt', ' pwned'); return 'written';`,
    bunEsm: `appendFileSync(R + '/tenant-b/key.txt', ' pwned'); return 'written';`,
    qjs: `await fsp.writeFile(R + '/tenant-b/key.txt', ' pwned', { flag: 'a' }); return 'written';`,
    caps: OWN, controlCaps: ALL, expect: 'written',
  },
  {
    name: 'writing into a readOnlyPaths directory',
    bun: `require('node:fs').writeFileSync(R + '/ro/new.txt', 'pwned'); return 'written';`,
    bunEsm: `writeFileSync(R + '/ro/new.txt', 'pwned'); return 'written';`,
    qjs: `await fsp.writeFile(R + '/ro/new.txt', 'pwned'); return 'written';`,
    caps: WITH_RO, controlCaps: WITH_RO_WRITABLE, expect: 'written', mustNotExist: 'ro/new.txt',
  },
  {
    name: 'deleting a file in a readOnlyPaths directory',
    bun: `require('node:fs').rmSync(R + '/ro/r.txt'); return 'written';`,
    bunEsm: `rmSync(R + '/ro/r.txt'); return 'written';`,
    qjs: `await fsp.rm(R + '/ro/r.txt'); return 'written';`,
    caps: WITH_RO, controlCaps: WITH_RO_WRITABLE, expect: 'written',
  },
];

const ESM_FS = `import { readFileSync, writeFileSync, appendFileSync, symlinkSync, linkSync, rmSync } from 'node:fs';`;
const QJS_FS = `const fsp = await import('node:fs/promises');`;

describe.each(RUNTIMES)('%s: escapes out of an allowed directory', (runtime) => {
  useBystander(runtime);
  const tree = useTempTree();
  const build = () => {
    const root = tree.root();
    rmSync(root, { recursive: true, force: true });
    for (const d of ['tenant-a', 'tenant-b', 'ro', 'outside']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'tenant-a', 'data.txt'), 'own data');
    writeFileSync(join(root, 'tenant-b', 'key.txt'), 'other tenant');
    writeFileSync(join(root, 'ro', 'r.txt'), 'read-only');
    symlinkSync(join(root, 'tenant-b'), join(root, 'tenant-a', 'dir-link'));
    symlinkSync(join(root, 'tenant-b', 'key.txt'), join(root, 'tenant-a', 'file-link'));
  };
  beforeAll(build);
  afterEach(build);

  const variants: [string, EscapeRow, string, Layer][] = [];
  for (const row of ROWS) {
    if (runtime === 'bun') {
      if (row.bun) variants.push([`${row.name} (patched fs, Bun.file, Bun.write)`, row, row.bun, 'api']);
      if (row.bunEsm) variants.push([`${row.name} (unpatched ESM node:fs)`, row, row.bunEsm, 'os']);
    } else if (row.qjs) {
      variants.push([row.name, row, row.qjs, 'api']);
    }
  }

  it.each(variants)('%s is refused', async (_name, row, body, stop) => {
    const root = tree.root();
    const full = runtime === 'bun' ? `const R = input.root; ${body}` : `const R = input.root; ${QJS_FS} ${body}`;
    const control = stop === 'os' ? { pool: { osSandbox: false } } : { caps: row.controlCaps(root) };
    await checkAttack(runtime, {
      name: row.name,
      body: full,
      prelude: stop === 'os' ? ESM_FS : '',
      caps: row.caps(root),
      input: { root },
      stop,
      codes: stop === 'api' ? [/CAPABILITY_DENIED/] : ['EACCES', 'EPERM', 'EXDEV', 'EROFS'],
      control: {
        ...control,
        check: (v) => {
          expect(v).toBe(row.expect);
        },
      },
    });
  });

  // The control above changed the tree on purpose; here the attack runs alone and the tree must be as built.

  it.each(variants.filter(([, row]) => row.mustNotExist !== undefined || /tenant-b\/key|ro\/r\.txt/.test(row.bun ?? row.qjs ?? '')))(
    '%s leaves the tree untouched',
    async (_name, row, body, stop) => {
      const root = tree.root();
      const full = runtime === 'bun' ? `const R = input.root; ${body}` : `const R = input.root; ${QJS_FS} ${body}`;
      const run = await attack(runtime, full, { caps: row.caps(root), input: { root }, prelude: stop === 'os' ? ESM_FS : '' });
      expectRefused(run);
      if (row.mustNotExist) expect(existsSync(join(root, row.mustNotExist))).toBe(false);
      expect(readFileSync(join(root, 'tenant-b', 'key.txt'), 'utf8')).toBe('other tenant');
      expect(readFileSync(join(root, 'ro', 'r.txt'), 'utf8')).toBe('read-only');
    },
  );
});

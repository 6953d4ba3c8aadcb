import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CapabilityOverrides } from 'bunbase-functions';
import { RUNTIMES, NO_OS_LAYER, attack, checkAttack, expectRefused, hasProcesses, useBystander, useTempTree, type Layer } from './harness.js';

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
 * Every attempt is refused and leaves the tree as it was. The API layer
 * refuses node:fs (by require and as an ES module), Bun.file and Bun.write;
 * their control widens the profile to the whole tree. What it cannot patch
 * (OS rows: Bun.fetch of a file: URL, import() of a text file, Bun.build
 * following an import, Bun.Glob with an absolute pattern, SQLite's ATTACH)
 * only Landlock stops; their control is the same profile with the OS fence off.
 */
interface EscapeRow {
  name: string;
  /** Body of the attack; `R` is the tree root (from the request). */
  bun?: string;
  bunEsm?: string;
  /** Roads the Bun API layer does not check: [what, body]. */
  bunOs?: [string, string][];
  qjs?: string;
  caps: (root: string) => CapabilityOverrides;
  /** The control's profile for API rows; OS rows use the same profile with `osSandbox: false`. */
  controlCaps: (root: string) => CapabilityOverrides;
  expect: unknown;
  /** A path (relative to the root) that must not exist after the attack. */
  mustNotExist?: string;
}

const OWN = (root: string): CapabilityOverrides => ({ allowFilesystem: true, allowedPaths: [join(root, 'tenant-a')] });
const ALL = (root: string): CapabilityOverrides => ({ allowFilesystem: true, allowedPaths: [root] });
const WITH_RO = (root: string): CapabilityOverrides => ({ allowFilesystem: true, allowedPaths: [join(root, 'tenant-a')], readOnlyPaths: [join(root, 'ro')] });
const WITH_RO_WRITABLE = (root: string): CapabilityOverrides => ({ allowFilesystem: true, allowedPaths: [join(root, 'tenant-a'), join(root, 'ro')] });

// An entry in the own directory that imports another tenant's file as text: Bun.build checks only the entry.
const BUILD_IMPORT = `await Bun.write(R + '/tenant-a/entry.js', "import t from '" + R + "/tenant-b/key.txt' with { type: 'text' }; console.log(t);");
  try { const r = await Bun.build({ entrypoints: [R + '/tenant-a/entry.js'] }); for (const o of r.outputs) if ((await o.text()).includes('other tenant')) return 'other tenant'; return 'built without it'; }
  catch (e) { const m = String(e.errors?.[0]?.message ?? e.message); throw Object.assign(new Error(m), { code: /EACCES/.test(m) ? 'EACCES' : 'BUILD_FAILED' }); }`;

const ROWS: EscapeRow[] = [
  {
    name: 'path traversal tenant-a/../tenant-b/key.txt',
    bun: `return require('node:fs').readFileSync(R + '/tenant-a/../tenant-b/key.txt', 'utf8');`,
    bunEsm: `return readFileSync(R + '/tenant-a/../tenant-b/key.txt', 'utf8');`,
    // A computed import() needs allowEval in Bun (a string could be a data: URL): see the row's caps below.
    bunOs: [['import() of a text file, allowEval', `return (await import(R + '/tenant-a/../tenant-b/key.txt')).default;`]],
    qjs: `return await fsp.readFile(R + '/tenant-a/../tenant-b/key.txt', 'utf8');`,
    caps: OWN, controlCaps: ALL, expect: 'other tenant',
  },
  {
    name: 'a planted directory symlink (tenant-a/dir-link/key.txt)',
    bun: `return await require('node:fs/promises').readFile(R + '/tenant-a/dir-link/key.txt', 'utf8');`,
    bunEsm: `return readFileSync(R + '/tenant-a/dir-link/key.txt', 'utf8');`,
    bunOs: [["Bun.fetch('file://…')", `return await (await Bun.fetch('file://' + R + '/tenant-a/dir-link/key.txt')).text();`]],
    qjs: `return await fsp.readFile(R + '/tenant-a/dir-link/key.txt', 'utf8');`,
    caps: OWN, controlCaps: ALL, expect: 'other tenant',
  },
  {
    name: 'a planted file symlink (tenant-a/file-link)',
    bun: `return await Bun.file(R + '/tenant-a/file-link').text();`,
    bunEsm: `return readFileSync(R + '/tenant-a/file-link', 'utf8');`,
    bunOs: [["Bun.fetch('file://…')", `return await (await Bun.fetch('file://' + R + '/tenant-a/file-link')).text();`]],
    qjs: `return await fsp.readFile(R + '/tenant-a/file-link', 'utf8');`,
    caps: OWN, controlCaps: ALL, expect: 'other tenant',
  },
  {
    name: "another tenant's file by its absolute path",
    bun: `return require('node:fs').readFileSync(R + '/tenant-b/key.txt', 'utf8');`,
    bunEsm: `return readFileSync(R + '/tenant-b/key.txt', 'utf8');`,
    bunOs: [
      ["Bun.fetch('file://…')", `return await (await Bun.fetch('file://' + R + '/tenant-b/key.txt')).text();`],
      ['Bun.build following an import from an allowed entry', BUILD_IMPORT],
    ],
    qjs: `return await fsp.readFile(R + '/tenant-b/key.txt', 'utf8');`,
    caps: OWN, controlCaps: ALL, expect: 'other tenant',
  },
  {
    name: "listing another tenant's directory",
    bun: `return require('node:fs').readdirSync(R + '/tenant-b');`,
    bunEsm: `return readdirSync(R + '/tenant-b');`,
    bunOs: [['Bun.Glob with an absolute pattern, scanned from the allowed directory', `return [...new Bun.Glob(R + '/tenant-b/*').scanSync({ cwd: R + '/tenant-a', absolute: true })].map((p) => p.slice(p.lastIndexOf('/') + 1));`]],
    caps: OWN, controlCaps: ALL, expect: ['key.txt'],
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
    bunOs: [['bun:sqlite ATTACH creating a database file', `const db = new (require('bun:sqlite').Database)(':memory:'); db.run("ATTACH DATABASE '" + R + '/outside/pwned.txt' + "' AS x"); db.run('create table x.t (a)'); return 'written';`]],
    qjs: `await fsp.writeFile(R + '/outside/pwned.txt', 'pwned'); return 'written';`,
    caps: OWN, controlCaps: ALL, expect: 'written', mustNotExist: 'outside/pwned.txt',
  },
  {
    name: 'writing outside through ../ from the allowed directory',
    bun: `await Bun.write(R + '/tenant-a/../outside/pwned.txt', 'pwned'); return 'written';`,
    bunEsm: `writeFileSync(R + '/tenant-a/../outside/pwned.txt', 'pwned'); return 'written';`,
    bunOs: [['bun:sqlite ATTACH creating a database file', `const db = new (require('bun:sqlite').Database)(':memory:'); db.run("ATTACH DATABASE '" + R + '/tenant-a/../outside/pwned.txt' + "' AS x"); db.run('create table x.t (a)'); return 'written';`]],
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
    bunOs: [['bun:sqlite ATTACH creating a database file', `const db = new (require('bun:sqlite').Database)(':memory:'); db.run("ATTACH DATABASE '" + R + '/ro/new.txt' + "' AS x"); db.run('create table x.t (a)'); return 'written';`]],
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

const ESM_FS = `import { readFileSync, readdirSync, writeFileSync, appendFileSync, symlinkSync, linkSync, rmSync } from 'node:fs';`;
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
      if (row.bun) variants.push([`${row.name} (patched fs, Bun.file, Bun.write; api layer)`, row, row.bun, 'api']);
      if (row.bunEsm) variants.push([`${row.name} (ESM node:fs; api layer)`, row, row.bunEsm, 'api']);
      for (const [what, body] of row.bunOs ?? []) variants.push([`${row.name} (${what}; os layer)`, row, body, 'os']);
    } else if (row.qjs) {
      variants.push([row.name, row, row.qjs, 'api']);
    }
  }

  // Computed module specifiers are refused before the bundle runs unless eval is allowed;
  // with eval allowed, what the module loader may read is the OS layer's to decide.
  const capsFor = (row: EscapeRow, body: string, root: string): CapabilityOverrides =>
    /import\(R/.test(body) ? { ...row.caps(root), allowEval: true } : row.caps(root);

  it.each(variants)('%s is refused', async (_name, row, body, stop) => {
    const root = tree.root();
    const full = runtime === 'bun' ? `const R = input.root; ${body}` : `const R = input.root; ${QJS_FS} ${body}`;
    const control = stop === 'os' ? { pool: { osSandbox: false } } : { caps: row.controlCaps(root) };
    await checkAttack(runtime, {
      name: row.name,
      body: full,
      prelude: runtime === 'bun' ? ESM_FS : '',
      caps: capsFor(row, body, root),
      input: { root },
      stop,
      codes: stop === 'api' ? [/CAPABILITY_DENIED/] : ['EACCES', 'EPERM', 'SQLITE_CANTOPEN', /Cannot find module/],
      control: {
        ...control,
        check: (v) => {
          expect(v).toEqual(row.expect);
        },
      },
    });
  });

  // The control above changed the tree on purpose; here the attack runs alone and the tree must be as built.

  it.each(variants.filter(([, row]) => row.mustNotExist !== undefined || /tenant-b\/key|ro\/r\.txt/.test(row.bun ?? row.qjs ?? '')))(
    '%s leaves the tree untouched',
    async (_name, row, body) => {
      const root = tree.root();
      const full = runtime === 'bun' ? `const R = input.root; ${body}` : `const R = input.root; ${QJS_FS} ${body}`;
      const run = await attack(runtime, full, { caps: capsFor(row, body, root), input: { root }, prelude: runtime === 'bun' ? ESM_FS : '' });
      expectRefused(run);
      if (row.mustNotExist) expect(existsSync(join(root, row.mustNotExist))).toBe(false);
      expect(readFileSync(join(root, 'tenant-b', 'key.txt'), 'utf8')).toBe('other tenant');
      expect(readFileSync(join(root, 'ro', 'r.txt'), 'utf8')).toBe('read-only');
    },
  );

  // A listed directory that does not exist when the worker starts is skipped by the OS fence
  // (no start failure), which then has no rule for it: creating it later fails closed.
  it.skipIf(!hasProcesses(runtime))(`an allowedPaths directory missing at start: the pool starts fenced, the other grants hold, creating it is refused (os layer)${hasProcesses(runtime) ? '' : ` [${NO_OS_LAYER}]`}`, async () => {
    const root = tree.root();
    const caps = { allowFilesystem: true, allowedPaths: [join(root, 'not-yet'), join(root, 'tenant-a')] };
    const body =
      runtime === 'bun'
        ? `const fs = require('node:fs'); const own = fs.readFileSync(input.root + '/tenant-a/data.txt', 'utf8'); fs.mkdirSync(input.root + '/not-yet'); fs.writeFileSync(input.root + '/not-yet/x.txt', 'x'); return own;`
        : `const fsp = await import('node:fs/promises'); const own = await fsp.readFile(input.root + '/tenant-a/data.txt', 'utf8'); await fsp.mkdir(input.root + '/not-yet'); await fsp.writeFile(input.root + '/not-yet/x.txt', 'x'); return own;`;
    await checkAttack(runtime, { name: 'missing grant', body, caps, input: { root }, stop: 'os', codes: ['EACCES'], control: { check: (v) => expect(v).toBe('own data') } });
    // The grant that does exist still works fenced.
    const own = await attack(runtime, runtime === 'bun' ? `return require('node:fs').readFileSync(input.root + '/tenant-a/data.txt', 'utf8');` : `return await (await import('node:fs/promises')).readFile(input.root + '/tenant-a/data.txt', 'utf8');`, { caps, input: { root } });
    expect(own.outcome).toMatchObject({ kind: 'result', ok: true, value: 'own data' });
  });
});

import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CapabilityOverrides } from 'bunbase-functions';
import { RUNTIMES, NO_OS_LAYER, attack, expectDenied, expectFenced, expectRefused, expectWorked, hasProcesses, labelled, useBystander, useTempTree } from './harness.js';

/**
 * `readOnlyPaths` nested inside an `allowedPaths` directory: `allowedPaths:
 * [D]`, `readOnlyPaths: [D/ro]`. Read-only wins, in the API layer and in the
 * OS fence. Landlock rules only add access, so the fence splits the grant on
 * D around D/ro instead of granting D whole (native/sandbox_landlock.c).
 *
 * Each native road below goes around Bun's API layer (`osSandbox: false`
 * shows it writes into D/ro), so only Landlock refuses it; the same write to
 * D/sub succeeds under the fence, so the split still grants the rest of D.
 * QuickJS-NG has no road around its API layer; its fence is the same library
 * and the same split, shown by the cost below.
 */
const BODY_MARK = 'x';
const caps = (root: string, extra: CapabilityOverrides = {}): CapabilityOverrides => ({
  allowFilesystem: true,
  allowedPaths: [join(root, 'D')],
  readOnlyPaths: [join(root, 'D', 'ro')],
  ...extra,
});

interface Road {
  name: string;
  /** The attack body; `input.target` is the file it tries to create or change. */
  body: string;
  /** File name in D/ro (or D/sub for the fenced control). */
  file: string;
  extra?: CapabilityOverrides;
  codes: (string | RegExp)[];
  /** The file exists before (an existing database): it must keep its size. */
  existing?: boolean;
}

const SQLITE = `const { Database } = require('bun:sqlite');`;
// bun:ffi needs JSC's JIT, which Bun gives up under RLIMIT_DATA; maxMemory 0 keeps it.
const FFI_LIFTED = { allowChildProcess: true, maxMemory: 0 };

const ROADS: Road[] = [
  {
    name: 'bun:sqlite ATTACH creating a database file',
    body: `${SQLITE} const db = new Database(':memory:'); db.run("ATTACH DATABASE '" + input.target + "' AS x"); db.run('create table x.t (a)'); return 'written';`,
    file: 'attached.db',
    codes: ['SQLITE_CANTOPEN', /unable to open/],
  },
  {
    name: 'bun:sqlite VACUUM INTO a new file',
    body: `${SQLITE} const db = new Database(':memory:'); db.run('create table t (a)'); db.run("insert into t values (1)"); db.run("VACUUM INTO '" + input.target + "'"); return 'written';`,
    file: 'vacuumed.db',
    codes: ['SQLITE_CANTOPEN', /unable to open/],
  },
  {
    name: 'bun:sqlite ATTACH of an existing (empty) database file, then writing to it',
    body: `${SQLITE} const db = new Database(':memory:'); db.run("ATTACH DATABASE '" + input.target + "' AS x"); db.run('create table x.t (a)'); return 'written';`,
    file: 'existing.db',
    existing: true,
    codes: ['SQLITE_READONLY', 'SQLITE_CANTOPEN', /readonly|unable to open/],
  },
  {
    name: 'the in-process `echo >` redirect of Bun.$ (allowChildProcess)',
    body: `await Bun.$\`echo ${BODY_MARK} > \${input.target}\`; return 'written';`,
    file: 'shell.txt',
    extra: { allowChildProcess: true },
    codes: ['ShellError', /exit code 1/],
  },
  {
    name: 'a /bin/sh child redirecting into it (allowChildProcess)',
    body: `const r = Bun.spawnSync(['/bin/sh', '-c', 'echo ${BODY_MARK} > "$0"', input.target]); if (r.exitCode !== 0) throw Object.assign(new Error(r.stderr.toString()), { code: 'EACCES' }); return 'written';`,
    file: 'child.txt',
    extra: { allowChildProcess: true },
    codes: ['EACCES', /Permission denied/],
  },
  {
    name: 'bun:ffi open(O_CREAT | O_WRONLY) (allowChildProcess lifts the FFI patch)',
    body: `const { dlopen } = require('bun:ffi');
      const libc = dlopen('libc.so.6', { open: { args: ['cstring', 'i32', 'i32'], returns: 'i32' }, close: { args: ['i32'], returns: 'i32' } });
      const fd = libc.symbols.open(Buffer.from(input.target + '\\0'), 0o1 | 0o100, 0o600);
      if (fd < 0) throw Object.assign(new Error('open returned ' + fd), { code: 'EACCES' });
      libc.symbols.close(fd); return 'written';`,
    file: 'ffi.txt',
    extra: FFI_LIFTED,
    codes: ['EACCES'],
  },
];

describe.each(RUNTIMES)('%s: readOnlyPaths nested in an allowedPaths directory', (runtime) => {
  useBystander(runtime);
  const tree = useTempTree();
  const D = () => join(tree.root(), 'D');

  beforeEach(() => {
    rmSync(D(), { recursive: true, force: true });
    for (const dir of ['ro', 'sub']) mkdirSync(join(D(), dir), { recursive: true });
    writeFileSync(join(D(), 'ro', 'kept.txt'), 'read me');
    writeFileSync(join(D(), 'ro', 'existing.db'), '');
    writeFileSync(join(D(), 'sub', 'existing.db'), '');
    writeFileSync(join(D(), 'own.txt'), 'own');
  });

  if (runtime === 'bun') {
    it.each(labelled(ROADS, (r) => `${r.name}: refused in D/ro by the OS layer; works in D/sub fenced, and in D/ro unfenced`))(
      '%s',
      async (_label, road) => {
        const root = tree.root();
        const target = join(D(), 'ro', road.file);
        const run = await attack(runtime, road.body, { caps: caps(root, road.extra), input: { target } });
        expectRefused(run, road.codes);
        expectFenced(runtime, run.sandbox);
        if (road.existing) expect(statSync(target).size).toBe(0);
        else expect(existsSync(target)).toBe(false);

        // The rest of D is still writable under the fence.
        const beside = join(D(), 'sub', road.file);
        expect(expectWorked(await attack(runtime, road.body, { caps: caps(root, road.extra), input: { target: beside } }))).toBe('written');
        expect(road.existing ? statSync(beside).size > 0 : existsSync(beside)).toBe(true);

        // Only the OS layer stopped it: without the fence the write lands.
        const unfenced = await attack(runtime, road.body, { caps: caps(root, road.extra), input: { target }, pool: { osSandbox: false } });
        expect(expectWorked(unfenced)).toBe('written');
        expect(road.existing ? statSync(target).size > 0 : existsSync(target)).toBe(true);
      },
    );

    it('Bun.write into D/ro is refused by the API layer (CAPABILITY_DENIED), into D/sub it works', async () => {
      const root = tree.root();
      const body = `await Bun.write(input.target, 'x'); return 'written';`;
      const run = await attack(runtime, body, { caps: caps(root), input: { target: join(D(), 'ro', 'bun-write.txt') } });
      expectDenied(run, 'filesystem');
      expect(existsSync(join(D(), 'ro', 'bun-write.txt'))).toBe(false);
      expect(expectWorked(await attack(runtime, body, { caps: caps(root), input: { target: join(D(), 'sub', 'bun-write.txt') } }))).toBe('written');
    });

    it('Bun.fetch of a file: URL (a native read) still reads D/ro and D under the fence', async () => {
      const body = `return [await (await Bun.fetch('file://' + input.ro)).text(), await (await Bun.fetch('file://' + input.own)).text()];`;
      const run = await attack(runtime, body, { caps: caps(tree.root()), input: { ro: join(D(), 'ro', 'kept.txt'), own: join(D(), 'own.txt') } });
      expectFenced(runtime, run.sandbox);
      expect(expectWorked(run)).toEqual(['read me', 'own']);
    });
  } else {
    it('writing into D/ro is refused by the API layer; D/ro stays readable and the rest of D writable under the fence', async () => {
      const root = tree.root();
      const denied = await attack(runtime, `await (await import('node:fs/promises')).writeFile(input.target, 'x'); return 'written';`, {
        caps: caps(root),
        input: { target: join(D(), 'ro', 'new.txt') },
      });
      expectDenied(denied);
      expect(existsSync(join(D(), 'ro', 'new.txt'))).toBe(false);
      const body = `const fsp = await import('node:fs/promises');
        await fsp.writeFile(input.sub, 'x'); await fsp.writeFile(input.own, 'changed');
        return await fsp.readFile(input.kept, 'utf8');`;
      const run = await attack(runtime, body, {
        caps: caps(root),
        input: { sub: join(D(), 'sub', 'new.txt'), own: join(D(), 'own.txt'), kept: join(D(), 'ro', 'kept.txt') },
      });
      if (hasProcesses(runtime)) expectFenced(runtime, run.sandbox);
      expect(expectWorked(run)).toBe('read me');
      expect(readFileSync(join(D(), 'own.txt'), 'utf8')).toBe('changed');
    });
  }

  // The split's cost, and the proof that this runtime's fence does split D:
  // D itself is granted read-only, so a new entry directly in D is refused by
  // Landlock although the API layer allows it; without the fence it works.
  it.skipIf(!hasProcesses(runtime))(`the cost of the split: a new file directly in D is refused by the OS layer (EACCES)${hasProcesses(runtime) ? '' : ` [${NO_OS_LAYER}]`}`, async () => {
    const root = tree.root();
    const body =
      runtime === 'bun'
        ? `require('node:fs').writeFileSync(input.target, 'x'); return 'written';`
        : `await (await import('node:fs/promises')).writeFile(input.target, 'x'); return 'written';`;
    const target = join(D(), 'new.txt');
    const run = await attack(runtime, body, { caps: caps(root), input: { target } });
    expectRefused(run, ['EACCES']);
    expectFenced(runtime, run.sandbox);
    expect(existsSync(target)).toBe(false);
    expect(expectWorked(await attack(runtime, body, { caps: caps(root), input: { target }, pool: { osSandbox: false } }))).toBe('written');
  });
});

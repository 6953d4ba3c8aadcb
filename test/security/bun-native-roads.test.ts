import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIMES, attack, checkAttack, expectRefused, checkPasswd, useBystander, type AttackRow, labelled } from './harness.js';

/**
 * Bun has native APIs that open files and sockets below most of what the entry
 * can patch from JavaScript. The entry now checks some of them (bun:sqlite's
 * Database path, Bun.build's entry points, dns.promises): those rows are
 * refused by the API layer, and their control is the same call with a profile
 * that allows it. The rest (OS rows) go through the API layer (the control,
 * `osSandbox: false`, shows it works) and are stopped by the OS fence alone.
 * QuickJS-NG has none of these APIs.
 */
const DIR = realpathSync(mkdtempSync(join(tmpdir(), 'bunbase-sec-native-')));
const SOCKET = join(DIR, 'service.sock');
const DB = join(DIR, 'created.db');
let unixServer: Server;
beforeAll(async () => {
  unixServer = createServer((_req, res) => res.end('unix service'));
  await new Promise<void>((r) => unixServer.listen(SOCKET, r));
});
afterAll(async () => {
  await new Promise((r) => unixServer.close(r));
  rmSync(DIR, { recursive: true, force: true });
});

const FS_ALL = { allowFilesystem: true };
const FS_DIR = { allowFilesystem: true, allowedPaths: [DIR] };
// "file is not a database": SQLite opened and read the file.
const SQLITE_OPEN_PASSWD = `const { Database } = require('bun:sqlite'); try { new Database('/etc/passwd', { readonly: true }).query('select 1').all(); return 'opened'; } catch (e) { if (/not a database/.test(e.message)) return 'opened'; throw e; }`;
const SQLITE_CREATE = `const { Database } = require('bun:sqlite'); new Database(input.db).run('create table t (x)'); return 'created';`;
// ATTACH opens a file named in SQL, from a database the API layer allowed (':memory:').
const SQLITE_ATTACH_PASSWD = `const { Database } = require('bun:sqlite'); const db = new Database(':memory:'); try { db.run("ATTACH DATABASE '/etc/passwd' AS x"); db.query('select * from x.sqlite_master').all(); return 'opened'; } catch (e) { if (/not a database/.test(e.message)) return 'opened'; throw e; }`;
const SQLITE_ATTACH_CREATE = `const { Database } = require('bun:sqlite'); const db = new Database(':memory:'); db.run("ATTACH DATABASE '" + input.db + "' AS x"); db.run('create table x.t (a)'); return 'created';`;
const BUILD_PASSWD = `const r = await Bun.build({ entrypoints: ['/etc/passwd'], loader: { '': 'text' } }); if (!r.success) throw new Error(String(r.logs[0])); for (const o of r.outputs) if ((await o.text()).includes('root:')) return 'read'; return 'built without the content';`;
const DNS_LOCALHOST = (call: string) => `return (await ${call}('localhost')).address;`;
const isLoopback = (v: unknown) => expect(v).toMatch(/^(127\.0\.0\.1|::1)$/);

const ROWS: AttackRow[] = [
  { name: 'bun:sqlite opening /etc/passwd as a database', body: SQLITE_OPEN_PASSWD, stop: 'api', control: { caps: FS_ALL, check: (v) => expect(v).toBe('opened') } },
  { name: 'bun:sqlite creating a database file outside any allowed directory', body: SQLITE_CREATE, input: { db: DB }, stop: 'api', control: { caps: FS_DIR, check: (v) => expect(v).toBe('created') } },
  {
    name: "bun:sqlite ATTACH of /etc/passwd from an allowed ':memory:' database",
    body: SQLITE_ATTACH_PASSWD,
    stop: 'os',
    codes: ['SQLITE_CANTOPEN', /unable to open/],
    control: { check: (v) => expect(v).toBe('opened') },
  },
  {
    name: "bun:sqlite ATTACH creating a database file outside any allowed directory",
    body: SQLITE_ATTACH_CREATE,
    input: { db: DB },
    stop: 'os',
    codes: ['SQLITE_CANTOPEN', /unable to open/],
    control: { check: (v) => expect(v).toBe('created') },
  },
  { name: 'Bun.build reading /etc/passwd as an entry point', body: BUILD_PASSWD, stop: 'api', control: { caps: FS_ALL, check: (v) => expect(v).toBe('read') } },
  {
    // With eval refused, only built-in modules load at run time (eval.test.ts); with it allowed, the OS layer holds.
    name: 'node:module createRequire loading an absolute path (allowEval)',
    body: `return require('node:module').createRequire('/etc/')('/etc/passwd');`,
    caps: { allowEval: true },
    stop: 'os',
    codes: [/Cannot find module/],
    // Unfenced, Bun reads and parses the file (the build errors quote its lines).
    control: { body: `try { require('node:module').createRequire('/etc/')('/etc/passwd'); } catch (e) { if (/errors building/.test(e.message)) return 'read'; throw e; }`, check: (v) => expect(v).toBe('read') },
  },
  {
    name: 'the in-process `cat` builtin of Bun.$ with allowChildProcess but no files',
    body: `return (await Bun.$\`cat /etc/passwd\`.text()).slice(0, 64);`,
    caps: { allowChildProcess: true },
    stop: 'os',
    codes: ['ShellError', /exit code 1/],
    control: { check: checkPasswd },
  },
  {
    name: '/bin/cat as a child with allowChildProcess but no files (children inherit the fence)',
    body: `return (await Bun.$\`/bin/cat /etc/passwd\`.text()).slice(0, 64);`,
    caps: { allowChildProcess: true },
    stop: 'os',
    codes: ['ShellError', /exit code 1/],
    control: { check: checkPasswd },
  },
  {
    name: 'Bun.fetch over a UNIX socket (a docker.sock-style local service)',
    body: `return await (await Bun.fetch('http://localhost/', { unix: input.socket })).text();`,
    input: { socket: SOCKET },
    stop: 'os',
    codes: ['EPERM', 'EACCES'],
    control: { check: (v) => expect(v).toBe('unix service') },
  },
  {
    name: 'Bun.fetch over a UNIX socket with allowNetwork (no network namespace)',
    body: `return await (await Bun.fetch('http://localhost/', { unix: input.socket })).text();`,
    input: { socket: SOCKET },
    caps: { allowNetwork: true },
    stop: 'os',
    codes: ['EPERM', 'EACCES'],
    control: { check: (v) => expect(v).toBe('unix service') },
  },
  // Name resolution of 'localhost' only ever reads /etc/hosts: no DNS query leaves this machine.
  {
    name: 'name resolution through dns.promises',
    body: DNS_LOCALHOST(`require('node:dns').promises.lookup`),
    stop: 'api',
    // No profile allows resolving names in the worker: the control is Bun.dns, which the entry does not patch, unfenced.
    control: { body: `return (await Bun.dns.lookup('localhost'))[0].address;`, pool: { osSandbox: false }, check: isLoopback },
  },
  {
    name: "name resolution through ESM import of 'node:dns/promises'",
    prelude: `import { lookup } from 'node:dns/promises';`,
    body: DNS_LOCALHOST('lookup'),
    stop: 'api',
    control: { prelude: '', body: `return (await Bun.dns.lookup('localhost'))[0].address;`, pool: { osSandbox: false }, check: isLoopback },
  },
  {
    name: 'name resolution through Bun.dns.lookup (unpatched; reads /etc/hosts, asks resolvers)',
    body: `return (await Bun.dns.lookup('localhost'))[0].address;`,
    stop: 'os',
    codes: [/EAI_AGAIN|EAI_|EPERM|EACCES/],
    control: { check: isLoopback },
  },
];

describe.each(RUNTIMES.filter((r) => r === 'bun'))('%s: native roads below the API layer', (runtime) => {
  useBystander(runtime);
  afterEach(() => rmSync(DB, { force: true }));

  it.each(labelled(ROWS, (r) => `${r.name} is refused (${r.stop} layer)`))('%s', async (_label, row) => {
    await checkAttack(runtime, {
      ...row,
      control: {
        ...row.control,
        check: (v) => {
          row.control.check?.(v);
          rmSync(DB, { force: true });
        },
      },
    });
  });

  it.each([
    ['new Database (api layer)', SQLITE_CREATE],
    ['ATTACH (os layer)', SQLITE_ATTACH_CREATE],
  ])('bun:sqlite %s leaves no database file outside the allowed directories', async (_name, body) => {
    const run = await attack(runtime, body, { input: { db: DB } });
    expectRefused(run);
    expect(existsSync(DB)).toBe(false);
  });
});

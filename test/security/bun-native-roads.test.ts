import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIMES, attack, checkAttack, expectRefused, checkPasswd, useBystander, type AttackRow, labelled } from './harness.js';

/**
 * Bun has native APIs that open files and sockets below anything the entry
 * can patch from JavaScript. Each row here goes through the API layer (the
 * control, `osSandbox: false`, shows it works) and is stopped by the OS fence
 * alone. QuickJS-NG has none of these APIs.
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

const ROWS: AttackRow[] = [
  {
    name: 'bun:sqlite opening /etc/passwd as a database',
    body: `const { Database } = require('bun:sqlite'); try { new Database('/etc/passwd', { readonly: true }).query('select 1').all(); return 'opened'; } catch (e) { if (/not a database/.test(e.message)) return 'opened'; throw e; }`,
    stop: 'os',
    codes: ['SQLITE_CANTOPEN', /unable to open/],
    // "file is not a database": SQLite opened and read the file.
    control: { check: (v) => expect(v).toBe('opened') },
  },
  {
    name: 'bun:sqlite creating a database file outside any allowed directory',
    body: `const { Database } = require('bun:sqlite'); new Database(input.db).run('create table t (x)'); return 'created';`,
    input: { db: DB },
    stop: 'os',
    codes: ['SQLITE_CANTOPEN', /unable to open/],
    control: { check: (v) => expect(v).toBe('created') },
  },
  {
    name: 'Bun.build reading /etc/passwd as an entry point',
    body: `const r = await Bun.build({ entrypoints: ['/etc/passwd'], loader: { '': 'text' } }); if (!r.success) throw new Error(String(r.logs[0])); for (const o of r.outputs) if ((await o.text()).includes('root:')) return 'read'; return 'built without the content';`,
    stop: 'os',
    codes: ['EACCES', /EACCES|Permission denied/],
    control: { check: (v) => expect(v).toBe('read') },
  },
  {
    name: 'node:module createRequire loading an absolute path',
    body: `return require('node:module').createRequire('/etc/')('/etc/passwd');`,
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
  {
    name: 'name resolution through dns.promises (unpatched; reads /etc/hosts, asks resolvers)',
    body: `return (await require('node:dns').promises.lookup('localhost')).address;`,
    stop: 'os',
    codes: [/EAI_AGAIN|EAI_|EPERM|EACCES/],
    control: { check: (v) => expect(v).toMatch(/^(127\.0\.0\.1|::1)$/) },
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

  it('bun:sqlite leaves no database file outside the allowed directories', async () => {
    const run = await attack(runtime, ROWS[1]!.body, { input: { db: DB } });
    expectRefused(run);
    expect(existsSync(DB)).toBe(false);
  });
});

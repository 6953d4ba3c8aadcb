import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { attack, expectDenied, expectWorked, useBystander, labelled } from './harness.js';

/**
 * Bun roads the other runtimes do not have. A debugger server (node:inspector's
 * `open`, bun:jsc's `startRemoteDebugger`) is a listening socket that runs any
 * code its client sends: with `osSandbox: false` any process on the host could
 * take the worker over through it, so the API layer refuses it under every
 * profile, fence or no fence. SQLite extensions and a custom SQLite library are
 * shared objects loaded into the worker, refused like bun:ffi without
 * allowChildProcess. `process._debugProcess(pid)` asks another Node process (the
 * host is one) to open its debugger.
 */
interface Row {
  name: string;
  prelude?: string;
  body: string;
  capability: string;
  /** The TCP port the attack would listen on, checked from the host afterwards. */
  port?: number;
}

const ROWS: Row[] = [
  { name: "node:inspector open()", body: `require('node:inspector').open(39311, '127.0.0.1'); return 'listening';`, capability: 'network', port: 39311 },
  { name: 'node:inspector open() (static import)', prelude: `import { open } from 'node:inspector';`, body: `open(39312, '127.0.0.1'); return 'listening';`, capability: 'network', port: 39312 },
  { name: 'node:inspector/promises open()', body: `(await import('node:inspector/promises')).open(39313, '127.0.0.1'); return 'listening';`, capability: 'network', port: 39313 },
  { name: 'new inspector.Session()', body: `const s = new (require('node:inspector').Session)(); s.connect(); return 'session';`, capability: 'network' },
  { name: "bun:jsc startRemoteDebugger()", body: `require('bun:jsc').startRemoteDebugger('127.0.0.1', 39314); return 'listening';`, capability: 'network', port: 39314 },
  { name: 'bun:jsc startRemoteDebugger() (static import)', prelude: `import { startRemoteDebugger } from 'bun:jsc';`, body: `startRemoteDebugger('127.0.0.1', 39315); return 'listening';`, capability: 'network', port: 39315 },
  { name: 'bun:sqlite loadExtension()', body: `const { Database } = require('bun:sqlite'); new Database(':memory:').loadExtension('/nonexistent/ext'); return 'loaded';`, capability: 'childProcess' },
  { name: 'bun:sqlite Database.setCustomSQLite()', prelude: `import { Database } from 'bun:sqlite';`, body: `Database.setCustomSQLite('/nonexistent/libsqlite3.so'); return 'set';`, capability: 'childProcess' },
  { name: "process._debugProcess(the host's pid)", body: `process._debugProcess(input.host); return 'sent';`, capability: 'childProcess' },
];

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

describe.each([true, false])('bun, osSandbox %s: debugger servers and native code loading', (osSandbox) => {
  useBystander('bun');

  it.each(labelled(ROWS, (r) => `${r.name} is refused`))('%s', async (_label, row) => {
    const run = await attack('bun', row.body, { prelude: row.prelude ?? '', pool: { osSandbox }, input: { host: process.pid } });
    expectDenied(run, row.capability);
    if (row.port !== undefined) expect(await listening(row.port), `port ${row.port} listening`).toBe(false);
  });

  it('the rest of bun:jsc, bun:sqlite and node:inspector still work (control)', async () => {
    const run = await attack(
      'bun',
      `const jsc = require('bun:jsc');
      const { Database } = require('bun:sqlite');
      const v = new Database(':memory:').query('select 6 * 7 as v').get().v;
      return [jsc.deserialize(jsc.serialize({ a: 1 })).a, v, typeof require('node:inspector').url()].join(',');`,
      { pool: { osSandbox } },
    );
    expect(expectWorked(run)).toBe('1,42,undefined');
  });

  it('with allowChildProcess, loadExtension reaches SQLite (control: the error is the missing file)', async () => {
    const run = await attack('bun', `const { Database } = require('bun:sqlite'); try { new Database(':memory:').loadExtension('/nonexistent/ext'); return 'loaded'; } catch (e) { return String(e.message); }`, {
      caps: { allowChildProcess: true },
      pool: { osSandbox },
    });
    expect(String(expectWorked(run))).toMatch(/nonexistent|cannot open|No such file/);
  });
});

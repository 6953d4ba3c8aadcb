import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUNTIMES, checkAttack, checkPasswd, useBystander, useLoopbackServer, useTempTree, type AttackRow, labelled } from './harness.js';

/**
 * Reading /etc/passwd through every file API each runtime has, with a
 * profile that allows no files. `stop` says which layer must refuse it; the
 * positive control shows the same call reads the file when files are allowed
 * (API-layer rows) or when the OS fence is off (`osSandbox: false`, OS rows:
 * the API layer alone lets these through).
 */
const read = (expr: string) => `const text = String(${expr}); return text.slice(0, 64);`;
const FS_ALL = { allowFilesystem: true };

const BUN: AttackRow[] = [
  { name: 'fs.readFileSync (require)', body: read(`require('node:fs').readFileSync('/etc/passwd', 'utf8')`), stop: 'api', control: { caps: FS_ALL, check: checkPasswd } },
  { name: 'fs/promises readFile (require)', body: read(`await require('node:fs/promises').readFile('/etc/passwd', 'utf8')`), stop: 'api', control: { caps: FS_ALL, check: checkPasswd } },
  { name: 'fs.promises.readFile', body: read(`await require('node:fs').promises.readFile('/etc/passwd', 'utf8')`), stop: 'api', control: { caps: FS_ALL, check: checkPasswd } },
  {
    name: 'fs.createReadStream',
    body: `const fs = require('node:fs'); return await new Promise((resolve, reject) => { let d = ''; const s = fs.createReadStream('/etc/passwd', 'utf8'); s.on('data', (c) => (d += c)); s.on('end', () => resolve(d.slice(0, 64))); s.on('error', reject); });`,
    stop: 'api',
    control: { caps: FS_ALL, check: checkPasswd },
  },
  {
    name: 'fs.openSync + fs.readSync',
    body: `const fs = require('node:fs'); const fd = fs.openSync('/etc/passwd', 'r'); const b = Buffer.alloc(64); fs.readSync(fd, b); return b.toString();`,
    stop: 'api',
    control: { caps: FS_ALL, check: checkPasswd },
  },
  { name: 'fs.readFileSync(new URL("file:///etc/passwd"))', body: read(`require('node:fs').readFileSync(new URL('file:///etc/passwd'), 'utf8')`), stop: 'api', control: { caps: FS_ALL, check: checkPasswd } },
  { name: 'Bun.file().text()', body: read(`await Bun.file('/etc/passwd').text()`), stop: 'api', control: { caps: FS_ALL, check: checkPasswd } },
  { name: 'Bun.mmap', body: read(`new TextDecoder().decode(Bun.mmap('/etc/passwd'))`), stop: 'api', control: { caps: FS_ALL, check: checkPasswd } },
  // The entry patches node:fs before anything creates its ES module namespace,
  // so the namespace a handler imports holds the checked functions too.
  { name: 'ESM `import { readFileSync } from "node:fs"`', prelude: `import { readFileSync } from 'node:fs';`, body: read(`readFileSync('/etc/passwd', 'utf8')`), stop: 'api', control: { caps: FS_ALL, check: checkPasswd } },
  { name: 'ESM `import * as fsp from "node:fs/promises"`', prelude: `import * as fsp from 'node:fs/promises';`, body: read(`await fsp.readFile('/etc/passwd', 'utf8')`), stop: 'api', control: { caps: FS_ALL, check: checkPasswd } },
  {
    name: 'fs.readFile callback through `await import("node:fs")`',
    body: `const fs = await import('node:fs'); return await new Promise((resolve, reject) => fs.readFile('/etc/passwd', 'utf8', (e, d) => (e ? reject(e) : resolve(d.slice(0, 64)))));`,
    stop: 'api',
    control: { caps: FS_ALL, check: checkPasswd },
  },
  { name: 'fs.openAsBlob', body: read(`await (await require('node:fs').openAsBlob('/etc/passwd')).text()`), stop: 'api', control: { caps: FS_ALL, check: checkPasswd } },
  {
    name: 'Bun.Glob scan of /etc',
    body: `const out = []; for await (const f of new Bun.Glob('passwd').scan({ cwd: '/etc' })) out.push(f); if (out.length === 0) throw Object.assign(new Error('nothing listed'), { code: 'ENOENT' }); return out;`,
    stop: 'api',
    control: { caps: FS_ALL, check: (v) => expect(v).toEqual(['passwd']) },
  },
  // Bun.fetch is read-only and non-configurable: the API layer cannot touch it, only Landlock stops it.
  { name: 'Bun.fetch("file:///etc/passwd") (not routed through the host)', body: read(`await (await Bun.fetch('file:///etc/passwd')).text()`), stop: 'os', control: { check: checkPasswd } },
];

const QJS: AttackRow[] = [
  {
    name: 'process, require, Bun, std and os do not exist (the API is absent)',
    body: `const present = ['process', 'require', 'Bun', 'Deno', 'std', 'os', 'scriptArgs'].filter((n) => (n === 'process' ? typeof globalThis.process?.kill === 'function' : typeof globalThis[n] !== 'undefined')); if (present.length === 0) throw Object.assign(new Error('absent'), { code: 'API_ABSENT' }); return present;`,
    stop: 'absent',
    codes: ['API_ABSENT'],
    // The only file API there is, when files are allowed.
    control: { body: read(`await (await import('node:fs/promises')).readFile('/etc/passwd', 'utf8')`), caps: FS_ALL, check: checkPasswd },
  },
  {
    name: 'import("node:fs/promises").readFile',
    body: read(`await (await import('node:fs/promises')).readFile('/etc/passwd', 'utf8')`),
    stop: 'api',
    codes: [/CAPABILITY_DENIED/],
    control: { caps: FS_ALL, check: checkPasswd },
  },
  {
    name: 'import("node:fs") / "qjs:std" / "qjs:os" (no such modules: the API is absent)',
    body: `for (const m of ['node:fs', 'qjs:std', 'qjs:os', 'std', 'os']) { try { await import(m); return m; } catch {} } throw Object.assign(new Error('no module'), { code: 'API_ABSENT' });`,
    stop: 'absent',
    codes: ['API_ABSENT'],
    control: { body: read(`await (await import('node:fs/promises')).readFile('/etc/passwd', 'utf8')`), caps: FS_ALL, check: checkPasswd },
  },
  {
    name: 'import("/etc/passwd") (the module loader loads no files at all)',
    body: `return JSON.stringify(await import('/etc/passwd'));`,
    caps: FS_ALL,
    stop: 'absent',
    codes: [/Cannot find module '\/etc\/passwd'/],
    control: { body: read(`await (await import('node:fs/promises')).readFile('/etc/passwd', 'utf8')`), caps: FS_ALL, check: checkPasswd },
  },
];

describe.each(RUNTIMES)('%s: reading /etc/passwd without allowFilesystem', (runtime) => {
  useBystander(runtime);
  const tree = useTempTree();
  const server = useLoopbackServer((_req, res) => res.end('loopback body'));

  it.each(labelled(runtime === 'bun' ? BUN : QJS, (r) => `${r.name} is refused (${r.stop} layer)`))('%s', (_label, row) => checkAttack(runtime, row));

  it('fetch("file:///etc/passwd") is refused by the host even with allowNetwork (api layer)', async () => {
    await checkAttack(runtime, {
      name: 'fetch file:',
      body: read(`await (await fetch('file:///etc/passwd')).text()`),
      caps: { allowNetwork: true, allowedDomains: ['127.0.0.1'] },
      stop: 'host',
      codes: ['CAPABILITY_DENIED'],
      // The same fetch, to an allowed http: URL, works: only the scheme is refused.
      control: { body: `return await (await fetch(input.url)).text();`, input: { url: server.origin() }, check: (v) => expect(v).toBe('loopback body') },
    });
  });

  if (runtime === 'bun') {
    it.each([
      ['import()', `return (await import(input.path)).default;`],
      ['import.meta.require', `return import.meta.require(input.path);`],
      ['require', `return require(input.path);`],
    ])('loading a module from an absolute path outside the profile (%s), allowEval, is refused (os layer)', async (_name, body) => {
      // A computed specifier needs allowEval (without it the bundle is refused before it runs: eval.test.ts);
      // with it, only Landlock decides what the module loader may read.
      const caps = { allowEval: true };
      // A JSON file is a module Bun can load: the control reads its content.
      const secret = join(tree.root(), `secret-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(secret, JSON.stringify({ secret: 'other tenant' }));
      await checkAttack(runtime, {
        name: 'import abs',
        body,
        caps,
        input: { path: secret },
        stop: 'os',
        codes: [/Cannot find module/],
        control: { check: (v) => expect(v).toEqual({ secret: 'other tenant' }) },
      });
      // /etc/passwd itself: not a module, and not readable either.
      await checkAttack(runtime, {
        name: 'import /etc/passwd',
        body,
        caps,
        input: { path: '/etc/passwd' },
        stop: 'os',
        codes: [/Cannot find module/],
        // Unfenced, Bun reads and parses the file (the build errors quote its lines).
        control: { body: `try { ${body} } catch (e) { if (/errors building/.test(String(e.message))) return 'read'; throw e; }`, check: (v) => expect(v).toBe('read') },
      });
    });
  }
});

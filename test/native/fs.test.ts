import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bodyText, NativeWorker, ready } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

let root: string;
let data: string;
let ro: string;
beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'qw-fs-')));
  data = join(root, 'data');
  ro = join(root, 'ro');
  mkdirSync(data);
  mkdirSync(ro);
  mkdirSync(join(root, 'data-evil'));
  writeFileSync(join(root, 'secret.txt'), 'secret');
  writeFileSync(join(ro, 'r.txt'), 'read-only');
  writeFileSync(join(root, 'data-evil', 'x'), 'evil');
  symlinkSync(join(root, 'secret.txt'), join(data, 'link'));
  symlinkSync(root, join(data, 'dirlink'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Runs each [label, path, op] and reports 'ok:<value>' or '<code>'.
const PROBE = `
  import { readFile, writeFile, readdir, stat, mkdir, rm } from 'node:fs/promises';
  export default async (req) => {
    const steps = await req.json();
    const ops = {
      read: (p) => readFile(p, 'utf8'),
      write: (p) => writeFile(p, 'written'),
      append: (p) => writeFile(p, '+', { flag: 'a' }),
      readdir: async (p) => (await readdir(p)).sort().join('|'),
      stat: async (p) => { const s = await stat(p); return s.isDirectory() ? 'dir' : 'file:' + s.size },
      mkdir: (p) => mkdir(p, { recursive: true }),
      rm: (p) => rm(p, { recursive: true }),
    };
    const out = {};
    for (const [label, op, p] of steps) {
      try { out[label] = 'ok:' + (await ops[op](p)) } catch (e) { out[label] = e.code ?? e.name }
    }
    return Response.json(out);
  }`;

async function run(steps: [string, string, string][]) {
  const res = await w!.invoke({ method: 'POST', body: JSON.stringify(steps) });
  expect(res.type).toBe('response');
  return JSON.parse(bodyText(res)) as Record<string, string>;
}

describe('native worker: node:fs/promises', () => {
  it('reads and writes inside allowedPaths, read-only inside readOnlyPaths', async () => {
    w = await ready(PROBE, { allowFilesystem: true, allowedPaths: [data], readOnlyPaths: [ro] });
    const out = await run([
      ['write', 'write', join(data, 'a.txt')],
      ['append', 'append', join(data, 'a.txt')],
      ['read', 'read', join(data, 'a.txt')],
      ['mkdir', 'mkdir', join(data, 'x/y/z')],
      ['readdir', 'readdir', data],
      ['stat', 'stat', join(data, 'a.txt')],
      ['statdir', 'stat', join(data, 'x')],
      ['rm', 'rm', join(data, 'x')],
      ['ro-read', 'read', join(ro, 'r.txt')],
      ['missing', 'read', join(data, 'nope.txt')],
    ]);
    expect(out).toEqual({
      write: 'ok:undefined',
      append: 'ok:undefined',
      read: 'ok:written+',
      mkdir: 'ok:undefined',
      readdir: 'ok:a.txt|dirlink|link|x',
      stat: 'ok:file:8',
      statdir: 'ok:dir',
      rm: 'ok:undefined',
      'ro-read': 'ok:read-only',
      missing: 'ENOENT',
    });
    expect(readFileSync(join(data, 'a.txt'), 'utf8')).toBe('written+');
    expect(existsSync(join(data, 'x'))).toBe(false);
  });

  it('denies escapes by .., symlinks, prefix tricks, readOnlyPaths writes and /proc', async () => {
    w = await ready(PROBE, { allowFilesystem: true, allowedPaths: [data], readOnlyPaths: [ro] });
    const out = await run([
      ['dotdot', 'read', join(data, '..', 'secret.txt')],
      ['symlink', 'read', join(data, 'link')],
      ['dirlink', 'read', join(data, 'dirlink', 'secret.txt')],
      ['dirlink-write', 'write', join(data, 'dirlink', 'new.txt')],
      ['prefix', 'read', join(root, 'data-evil', 'x')],
      ['ro-write', 'write', join(ro, 'w.txt')],
      ['ro-rm', 'rm', join(ro, 'r.txt')],
      ['proc', 'read', '/proc/self/environ'],
      ['etc', 'read', '/etc/passwd'],
    ]);
    for (const k of Object.keys(out)) expect(out[k], k).toBe('CAPABILITY_DENIED');
    expect(existsSync(join(root, 'new.txt'))).toBe(false);
    expect(existsSync(join(ro, 'r.txt'))).toBe(true);
    const denied = w.messages.filter((m) => m.type === 'denied');
    expect(denied.length).toBe(Object.keys(out).length);
    expect(denied[1]!.payload).toEqual({ capability: 'filesystem', target: join(root, 'secret.txt'), rule: 'outside allowedPaths' });
    expect(denied.find((d) => d.payload['target'] === join(ro, 'w.txt'))!.payload['rule']).toBe('inside readOnlyPaths');
  });

  it('allows every path but /proc, /sys and /dev when allowedPaths is empty', async () => {
    w = await ready(PROBE, { allowFilesystem: true, allowedPaths: [], readOnlyPaths: [ro] });
    const out = await run([
      ['secret', 'read', join(root, 'secret.txt')],
      ['ro-write', 'write', join(ro, 'w.txt')],
      ['dev', 'read', '/dev/null'],
      ['sys', 'readdir', '/sys/kernel'],
    ]);
    expect(out).toEqual({ secret: 'ok:secret', 'ro-write': 'CAPABILITY_DENIED', dev: 'CAPABILITY_DENIED', sys: 'CAPABILITY_DENIED' });
  });

  it('cannot even import node:fs/promises without allowFilesystem', async () => {
    w = new NativeWorker();
    const m = await w.init(`import { readFile } from 'node:fs/promises'; export default () => new Response('x')`);
    expect(m.payload).toMatchObject({ code: 'BUNDLE_LOAD_ERROR' });
    expect(m.payload['message']).toMatch(/allowFilesystem/);
    expect(w.messages.find((x) => x.type === 'denied')!.payload).toMatchObject({ capability: 'filesystem', target: 'node:fs/promises' });
  });

  it('rejects a dynamic import of node:fs/promises without allowFilesystem', async () => {
    w = await ready(`export default async () => { try { await import('node:fs/promises') } catch (e) { return new Response(e.message) } }`);
    expect(bodyText(await w.invoke())).toMatch(/allowFilesystem: false/);
  });
});

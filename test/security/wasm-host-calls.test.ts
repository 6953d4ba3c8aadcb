import { mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPool, profiles } from 'bunbase-functions';
import { RUNTIMES, attack, expectRejected, expectWorked, useBystander, useLoopbackServer } from './harness.js';
import { MB, exhaust } from './exhaustion-harness.js';

/**
 * Attacks on what is particular to quickjs-wasm: its sandboxes are runtimes
 * inside one WebAssembly memory per thread of the host process, and the
 * binding's host functions run in that thread with the host's privileges.
 * A hostile tenant aims at the host itself (its memory, its descriptors, the
 * data the binding hands it) and at the other sandboxes of its thread. Every
 * row was found getting through before its fix, and has a control.
 */
const WASM = 'quickjs-wasm' as const;
const DIR = realpathSync(mkdtempSync(join(tmpdir(), 'bunbase-sec-wasm-')));
writeFileSync(join(DIR, 'f.txt'), 'x');
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

describe('quickjs-wasm: the host side of a WebAssembly sandbox', () => {
  if (!RUNTIMES.includes(WASM)) return;
  useBystander(WASM);

  // The binding serialises with the handler's own globals. A header name that arrived as an
  // object once threw in the host's thread (`name.toLowerCase is not a function`) and ended
  // the host process, every tenant with it.
  it('a response head forged by replacing Array.prototype.map (a header name that is an object) is PROTOCOL_ERROR; the host lives', async () => {
    const forge = `Array.prototype.map = function () { return [[{ name: 'x' }, 'v']]; };`;
    expectRejected(await attack(WASM, `${forge} return 'unreached';`, { module: `${forge} export default { fetch() { return new Response('x', { headers: { a: 'b' } }); } }` }), 'PROTOCOL_ERROR');
    const control = await attack(WASM, '', { module: `export default { fetch() { return new Response('x', { headers: { a: 'b' } }); } }` });
    expect(control.outcome).toMatchObject({ kind: 'result', ok: true, value: 'x' });
  });

  // The binding used to serialise with the handler's JSON.stringify too; it has its own copy
  // now. What got through before is in test/unit/wasm/guest-input.test.ts, fed to the host's check.
  it('a response head forged by replacing JSON.stringify (status 99999, an extra field) does not reach the host: the real head does', async () => {
    const forge = `JSON.stringify = () => '[99999, "OK", [["set-cookie", "x"]], 1]';`;
    const pool = createPool({ runtime: WASM, capabilities: profiles.strict('forged-head'), source: { code: `export default { fetch() { ${forge} return new Response('x'); } }` } });
    try {
      const res = await pool.invoke({ path: '/' });
      expect([res.status, res.text(), res.headers['set-cookie']]).toEqual([200, 'x', undefined]);
    } finally {
      await pool.close();
    }
  });

  describe('fetch arguments', () => {
    const server = useLoopbackServer((_req, res) => res.end('served'));
    it('forged by replacing JSON.stringify (a URL that is a number) do not reach the host: the real fetch does', async () => {
      const caps = { allowNetwork: true, allowedDomains: ['127.0.0.1'] };
      const forge = `const real = JSON.stringify; JSON.stringify = (x, ...r) => (x && typeof x === 'object' && 'url' in x ? real({ ...x, url: 5 }) : real(x, ...r));`;
      const run = await attack(WASM, `${forge} return await (await fetch(input.url)).text();`, { caps, input: { url: server.origin() + '/forged' } });
      expect(expectWorked(run)).toBe('served');
      expect(expectWorked(await attack(WASM, `return await (await fetch(input.url)).text();`, { caps, input: { url: server.origin() + '/ok' } }))).toBe('served');
    });
  });

  // setMemoryLimit does not hold in this engine build for many allocations each below it (a
  // runtime reached 200 MB under 64 MB) nor for strings, and a few interrupt ticks can allocate
  // hundreds of MB: before growth was charged, this grew the host by over 1 GB in 20 s.
  it.each([
    ['arrays of 8 MB', `const a = []; for (let i = 0; i < n; i++) a.push(new Array(1e6).fill(1.5)); return new Response(String(a.length));`, 2],
    ['strings of 1 MB', `const a = []; for (let i = 0; i < n; i++) a.push('x'.repeat(1e6) + i); return new Response(String(a.length));`, 10],
  ])('many allocations of %s, each below the engine limit, end with MEMORY_LIMIT; the host grows by less than twice maxMemory', async (_name, body, controlN) => {
    const result = await exhaust(WASM, { body, caps: { maxMemory: 64 * MB }, pool: { timeoutMs: 30_000 }, controlN });
    expect(result.code).toBe('MEMORY_LIMIT');
    expect(result.replaced).toBe(true);
    expect(result.hostRssGrowth).toBeLessThan(128 * MB);
    expect(result.control.status).toBe(200);
  }, 60_000);

  it('an out-of-memory error the handler catches still discards the worker', async () => {
    const pool = createPool({
      runtime: WASM,
      capabilities: profiles.custom('caught', { maxMemory: 64 * MB }),
      source: { code: `export default { fetch(req) { if (new URL(req.url).pathname !== '/bomb') return new Response('alive'); const a = []; try { for (;;) a.push(new Array(1e6).fill(1.5)); } catch (e) { a.length = 0; return new Response('caught ' + e.message); } } }` },
      maxWorkers: 1,
      timeoutMs: 30_000,
    });
    pool.on('error', () => {});
    try {
      const first = await pool.invoke({ path: '/bomb' });
      expect(first.text()).toBe('caught out of memory');
      const deadline = Date.now() + 10_000;
      while (pool.stats().workersExited === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(pool.stats().workersExited, 'the worker past its maxMemory was discarded').toBe(1);
      expect((await pool.invoke({ path: '/' })).text()).toBe('alive');
    } finally {
      await pool.close();
    }
  }, 60_000);

  // The host opens the files: unbounded, 20 000 reads held 20 000 of the host's descriptors
  // at once (EMFILE for the host application and every other tenant).
  it('20 000 concurrent file reads hold at most maxFileDescriptors of the host descriptors (EMFILE beyond); control: with maxFileDescriptors 0, 2000 reads hold hundreds', async () => {
    const code = `export default { async fetch(req) {
      const fsp = await import('node:fs/promises');
      const r = await Promise.allSettled(Array.from({ length: Number(new URL(req.url).searchParams.get('n')) }, () => fsp.readFile(${JSON.stringify(join(DIR, 'f.txt'))}, 'utf8')));
      const codes = {}; for (const x of r) { const k = x.status === 'fulfilled' ? 'ok' : x.reason.code; codes[k] = (codes[k] ?? 0) + 1; }
      return Response.json(codes);
    } }`;
    const run = async (maxFileDescriptors: number, n: number) => {
      const pool = createPool({ runtime: WASM, capabilities: profiles.custom('fds', { allowFilesystem: true, allowedPaths: [DIR], maxFileDescriptors }), source: { code }, timeoutMs: 60_000 });
      await pool.ready();
      const before = readdirSync('/proc/self/fd').length;
      let peak = before;
      const sample = setInterval(() => (peak = Math.max(peak, readdirSync('/proc/self/fd').length)), 2);
      try {
        return { codes: (await pool.invoke({ path: `/?n=${n}` })).json() as Record<string, number>, extra: peak - before };
      } finally {
        clearInterval(sample);
        await pool.close();
      }
    };
    const limited = await run(10, 20_000);
    expect(Object.keys(limited.codes).sort()).toEqual(['EMFILE', 'ok']);
    expect(limited.codes['ok']).toBeGreaterThanOrEqual(10);
    expect(limited.extra).toBeLessThanOrEqual(10 + 16);
    // Unbounded, 20 000 would take this process's whole descriptor table: the control stays below it.
    const control = await run(0, 2000);
    expect(control.codes).toEqual({ ok: 2000 });
    expect(control.extra).toBeGreaterThan(100);
  }, 90_000);

  it("sandboxes sharing a thread see nothing of each other's globals or prototypes", async () => {
    const plant = createPool({
      runtime: WASM,
      capabilities: profiles.strict('planter'),
      source: { code: `export default { fetch() { Object.prototype.planted = 'by another tenant'; globalThis.planted = 'by another tenant'; Array.prototype.push = () => 0; return new Response(String(({}).planted)); } }` },
    });
    // More readers than the process has threads: at least one shares the planter's thread.
    const readers = Array.from({ length: 4 }, (_, i) =>
      createPool({ runtime: WASM, capabilities: profiles.strict(`reader-${i}`), source: { code: `export default { fetch() { const a = []; a.push(1); return Response.json([typeof ({}).planted, typeof globalThis.planted, a.length]); } }` } }),
    );
    try {
      expect((await plant.invoke({ path: '/' })).text()).toBe('by another tenant');
      for (const reader of readers) expect((await reader.invoke({ path: '/' })).json()).toEqual(['undefined', 'undefined', 1]);
      // Control: the planter's own context keeps what it planted (isolation 'worker').
      expect((await plant.invoke({ path: '/' })).text()).toBe('by another tenant');
    } finally {
      await Promise.all([plant, ...readers].map((p) => p.close()));
    }
  });

  // Freed memory stays in the thread's WebAssembly memory and is handed to the next allocation,
  // possibly another tenant's: what it allocates must never show the previous owner's bytes.
  it("memory another sandbox of the thread filled and freed reads as zeros in new buffers (plain, resized)", async () => {
    const mk = (code: string) => createPool({ runtime: WASM, capabilities: profiles.custom('reuse', { maxMemory: 256 * MB }), source: { code: `export default { fetch() { ${code} } }` } });
    const planters = Array.from({ length: 4 }, () => mk(`const keep = []; for (let i = 0; i < 40; i++) keep.push(new Uint8Array(${MB}).fill(0x5a)); return new Response(String(keep.length));`));
    for (const p of planters) expect((await p.invoke({ path: '/' })).text()).toBe('40');
    await Promise.all(planters.map((p) => p.close()));
    const scan = (fill: string) => `let nonzero = 0; for (let i = 0; i < 60; i++) {
      const a = new Uint8Array(${MB}); ${fill} for (let j = 0; j < a.length; j += 512) if (a[j]) nonzero++;
      const b = new ArrayBuffer(${MB}, { maxByteLength: ${2 * MB} }); b.resize(${2 * MB}); const v = new Uint8Array(b); for (let j = 0; j < v.length; j += 512) if (v[j]) nonzero++;
    } return new Response(String(nonzero));`;
    const readers = Array.from({ length: 4 }, () => mk(scan('')));
    // Control: the scan does see bytes that are there.
    const control = mk(scan('a.fill(1);'));
    try {
      for (const p of readers) expect((await p.invoke({ path: '/' })).text()).toBe('0');
      expect(Number((await control.invoke({ path: '/' })).text())).toBeGreaterThan(0);
    } finally {
      await Promise.all([...readers, control].map((p) => p.close()));
    }
  }, 60_000);

  // The MessagePort is the host's side of the protocol; the handler's only road to it is the
  // binding's host functions, which the binding takes off globalThis before any handler code runs.
  it('no road to the protocol: the binding objects are gone from globalThis before the handler runs', async () => {
    const run = await attack(WASM, `return ['__qw_host', '__qw_entry', '__qw', '__qw_fs'].filter((k) => k in globalThis || Object.getOwnPropertyNames(globalThis).includes(k));`);
    expect(expectWorked(run)).toEqual([]);
  });
});

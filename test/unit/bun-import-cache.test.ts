import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SCANNER_VERSION, guardBundle } from '../../lib/workers/bun-dynamic-imports.js';
import { cacheDir, readScan, resetCacheDir, scanKey } from '../../lib/workers/bun-import-cache.js';

const root = mkdtempSync(join(tmpdir(), 'bunbase-import-cache-'));
let dir: string;
let serial = 0;

/** A bundle no earlier test used: guardBundle also remembers bundles in memory. */
function bundle(): string {
  serial++;
  return `// bundle ${serial} ${Math.random()}\nexport default { async fetch() { const m = await import('node:path'); return new Response(m.sep); } };`;
}

/** Writes an entry for `source` as another process (or another user) might have: one that keeps no import( at all. */
function plant(source: string, mode = 0o600): string {
  const key = scanKey(source, SCANNER_VERSION);
  const file = join(dir, `${key}.json`);
  writeFileSync(file, JSON.stringify({ key, version: SCANNER_VERSION, scan: { starts: [] } }), { mode });
  chmodSync(file, mode);
  return file;
}

beforeEach(() => {
  dir = join(root, `cache-${serial}`);
  process.env['BUNBASE_CACHE_DIR'] = dir;
  resetCacheDir();
});

afterAll(() => {
  delete process.env['BUNBASE_CACHE_DIR'];
  resetCacheDir();
  rmSync(root, { recursive: true, force: true });
});

describe('the import() scan kept on disk', () => {
  it('is written once and read back, with the same rewrite', () => {
    const source = bundle();
    const first = guardBundle(source);
    expect(first).toMatchObject({ importLoader: expect.any(String) });
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    const key = scanKey(source, SCANNER_VERSION);
    expect(files[0]).toBe(`${key}.json`);
    const offset = source.indexOf('import(');
    expect(readScan(key, SCANNER_VERSION)).toEqual({ starts: [offset] });
    expect('source' in first && first.source.slice(offset, offset + 7)).toBe(`${(first as { importLoader: string }).importLoader}(`);
  });

  it('is what a new host process uses: a planted entry of our own is believed', () => {
    // This is why the checks below matter: the entry decides what is guarded.
    const source = bundle();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    plant(source);
    const guarded = guardBundle(source);
    expect('source' in guarded && guarded.source).toBe(source);
  });

  it('keeps a bundle that does not parse as refused', () => {
    const source = `// ${Math.random()}\nexport default {; import(x)`;
    const first = guardBundle(source);
    expect(first).toMatchObject({ error: expect.stringMatching(/Unexpected token/) });
    expect(readScan(scanKey(source, SCANNER_VERSION), SCANNER_VERSION)).toEqual({ error: (first as { error: string }).error });
  });

  it('ignores an entry others may write (group- or world-writable)', () => {
    const source = bundle();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    plant(source, 0o666);
    const guarded = guardBundle(source);
    expect('source' in guarded && guarded.source).not.toBe(source);
  });

  it('ignores an entry that is a symbolic link', () => {
    const source = bundle();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const real = plant(source);
    const key = scanKey(source, SCANNER_VERSION);
    const moved = join(dir, 'elsewhere.json');
    writeFileSync(moved, readFileSync(real));
    rmSync(real);
    symlinkSync(moved, join(dir, `${key}.json`));
    expect(readScan(key, SCANNER_VERSION)).toBeUndefined();
    const guarded = guardBundle(source);
    expect('source' in guarded && guarded.source).not.toBe(source);
  });

  it('ignores an entry filed under another key or left by another scanner version', () => {
    const source = bundle();
    const other = bundle();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const key = scanKey(source, SCANNER_VERSION);
    // The other bundle's entry, copied to this bundle's name.
    const otherKey = scanKey(other, SCANNER_VERSION);
    writeFileSync(join(dir, `${key}.json`), JSON.stringify({ key: otherKey, version: SCANNER_VERSION, scan: { starts: [] } }), { mode: 0o600 });
    expect(readScan(key, SCANNER_VERSION)).toBeUndefined();
    writeFileSync(join(dir, `${key}.json`), JSON.stringify({ key, version: 'import-calls/0', scan: { starts: [] } }), { mode: 0o600 });
    expect(readScan(key, SCANNER_VERSION)).toBeUndefined();
    const guarded = guardBundle(source);
    expect('source' in guarded && guarded.source).not.toBe(source);
  });

  it('is not used at all in a directory others may write', () => {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
    expect(cacheDir()).toBeUndefined();
    const source = bundle();
    expect(guardBundle(source)).toMatchObject({ importLoader: expect.any(String) });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('is off with an empty BUNBASE_CACHE_DIR', () => {
    process.env['BUNBASE_CACHE_DIR'] = '';
    resetCacheDir();
    expect(cacheDir()).toBeUndefined();
    expect(guardBundle(bundle())).toMatchObject({ importLoader: expect.any(String) });
  });
});

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BundleTarget } from './options.js';

/** Bumped whenever the build settings or this format change, so old entries are never used. */
const FORMAT = 1;
const MAX_MEMORY_ENTRIES = 64;

interface InputStamp {
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

/** What the cache keeps of a build. */
export interface CachedBundle {
  code: string;
  map: string;
  filename: string;
  inputs: InputStamp[];
}

const memory = new Map<string, CachedBundle>();

/** The key of an entry's bundle: its path and the runtime family, never its contents (those are checked on lookup). */
export function cacheKey(entry: string, target: BundleTarget): string {
  return createHash('sha256')
    .update(JSON.stringify([FORMAT, entry, target]))
    .digest('hex')
    .slice(0, 32);
}

/**
 * The default disk cache: `node_modules/.cache/bunbase-functions` in the
 * nearest directory above the entry with a package.json, where build tools
 * keep their caches; undefined when there is none.
 */
export function defaultCacheDir(entry: string): string | undefined {
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'node_modules', '.cache', 'bunbase-functions');
    if (dirname(dir) === dir) return undefined;
  }
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Stamps the inputs of a fresh build: size and mtime for a quick check, the content hash for the real one. */
export function stampInputs(paths: string[]): InputStamp[] {
  return paths.map((path) => {
    const stat = statSync(path);
    return { path, size: stat.size, mtimeMs: stat.mtimeMs, sha256: sha256(path) };
  });
}

/** True while every input still has the content it was built from (a touched but unchanged file still counts). */
function isFresh(bundle: CachedBundle): boolean {
  for (const input of bundle.inputs) {
    try {
      const stat = statSync(input.path);
      if (stat.size === input.size && stat.mtimeMs === input.mtimeMs) continue;
      if (stat.size !== input.size || sha256(input.path) !== input.sha256) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** A still-fresh bundle from memory or disk, with where it came from. Synchronous: a pool can start from it at once. */
export function lookupBundle(
  key: string,
  cacheDir: string | undefined,
): { bundle: CachedBundle; from: 'memory' | 'disk' } | undefined {
  const held = memory.get(key);
  if (held !== undefined) {
    if (isFresh(held)) return { bundle: held, from: 'memory' };
    memory.delete(key);
  }
  if (cacheDir === undefined) return undefined;
  let stored: CachedBundle & { format?: number };
  try {
    stored = JSON.parse(readFileSync(join(cacheDir, `${key}.json`), 'utf8')) as CachedBundle & { format?: number };
  } catch {
    return undefined;
  }
  if (stored.format !== FORMAT || !Array.isArray(stored.inputs) || !isFresh(stored)) return undefined;
  const bundle = { code: stored.code, map: stored.map, filename: stored.filename, inputs: stored.inputs };
  remember(key, bundle);
  return { bundle, from: 'disk' };
}

/** Keeps a fresh build in memory and, when there is a cache directory, on disk. */
export function storeBundle(key: string, bundle: CachedBundle, cacheDir: string | undefined): void {
  remember(key, bundle);
  if (cacheDir === undefined) return;
  try {
    mkdirSync(cacheDir, { recursive: true });
    // Written aside and renamed, so a reader never sees half a file.
    const path = join(cacheDir, `${key}.json`);
    const partial = `${path}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify({ format: FORMAT, ...bundle }));
    renameSync(partial, path);
  } catch {
    // The disk cache only saves time: a read-only tree still runs, it rebuilds in the next process.
  }
}

function remember(key: string, bundle: CachedBundle): void {
  memory.delete(key);
  memory.set(key, bundle);
  if (memory.size > MAX_MEMORY_ENTRIES) memory.delete(memory.keys().next().value as string);
}

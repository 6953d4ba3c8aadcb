import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the import() scan of a bundle (bun-dynamic-imports.ts) is kept across
 * host processes: finding the `import(` of a 2 MB bundle takes acorn about half
 * a second of host CPU, which every new host process would otherwise pay again.
 *
 * What is kept decides which `import(` are guarded, so a file another user
 * could have written is never believed: the directory must be ours and not
 * writable by group or others, and a file is opened without following links
 * and checked through its descriptor (ours, a regular file, not writable by
 * group or others) before it is read: nothing can be swapped in between the
 * check and the read. Each file names its own key and the scanner's version,
 * so a file copied to another name, or left by another version, is a miss.
 *
 * `BUNBASE_CACHE_DIR` chooses the directory (an empty value turns the cache
 * off); the default is `$XDG_CACHE_HOME/bunbase-functions`, else
 * `~/.cache/bunbase-functions`. Any failure is a miss, never an error.
 */

/** What a scan found: the offsets of every `import(` keyword, or why the bundle could not be scanned. */
export type ImportScan = { starts: number[] } | { error: string };

interface Entry {
  key: string;
  version: string;
  scan: ImportScan;
}

/** A cache directory checked once per process (undefined: no usable directory). */
let checked: { dir: string | undefined } | undefined;

/** The key of a bundle under one scanner version. */
export function scanKey(source: string, version: string): string {
  return createHash('sha256').update(version).update('\0').update(source).digest('hex');
}

export function cacheDir(): string | undefined {
  if (checked !== undefined) return checked.dir;
  const chosen = process.env['BUNBASE_CACHE_DIR'];
  let dir: string | undefined;
  if (chosen === undefined) {
    const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
    dir = join(base, 'bunbase-functions');
  } else if (chosen !== '') {
    dir = chosen;
  }
  checked = { dir: dir !== undefined && trustedDir(dir) ? dir : undefined };
  return checked.dir;
}

/** Forgets the directory checked before (tests change BUNBASE_CACHE_DIR). */
export function resetCacheDir(): void {
  checked = undefined;
}

function ownedAndClosed(stats: { uid: number; mode: number }): boolean {
  const uid = process.getuid?.();
  return (uid === undefined || stats.uid === uid) && (stats.mode & 0o022) === 0;
}

function trustedDir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stats = lstatSync(dir);
    return stats.isDirectory() && ownedAndClosed(stats);
  } catch {
    return false;
  }
}

/** The scan kept for `key`, or undefined when there is none that can be trusted. */
export function readScan(key: string, version: string): ImportScan | undefined {
  const dir = cacheDir();
  if (dir === undefined) return undefined;
  let fd: number;
  try {
    fd = openSync(join(dir, `${key}.json`), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || !ownedAndClosed(stats)) return undefined;
    const entry = JSON.parse(readFileSync(fd, 'utf8')) as Partial<Entry>;
    if (entry.key !== key || entry.version !== version) return undefined;
    return validScan(entry.scan);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function validScan(scan: unknown): ImportScan | undefined {
  if (typeof scan !== 'object' || scan === null) return undefined;
  const s = scan as Record<string, unknown>;
  if (typeof s['error'] === 'string') return { error: s['error'] };
  const starts = s['starts'];
  if (!Array.isArray(starts) || !starts.every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) return undefined;
  return { starts: starts as number[] };
}

/** Keeps `scan` for `key`: written to a new file of its own, then renamed over the name, so a reader sees all or nothing. */
export function writeScan(key: string, version: string, scan: ImportScan): void {
  const dir = cacheDir();
  if (dir === undefined) return;
  const entry: Entry = { key, version, scan };
  const temp = join(dir, `${key}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // 'wx': O_CREAT | O_EXCL, which never follows a link at that name.
    writeFileSync(temp, JSON.stringify(entry), { flag: 'wx', mode: 0o600 });
    renameSync(temp, join(dir, `${key}.json`));
  } catch {
    rmSync(temp, { force: true });
  }
}

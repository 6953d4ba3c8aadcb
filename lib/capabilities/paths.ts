import { createRequire } from 'node:module';
import { isAbsolute, resolve, sep } from 'node:path';

// Required, not imported, and captured at load: inside a Bun worker this
// module loads before the API guards patch node:fs, so the checks keep the
// original functions, and no ES-module namespace of node:fs is created early
// (Bun snapshots that namespace on first import, patches included or not).
const { lstatSync, readlinkSync } = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');

/*
 * Filesystem rules. This file is also loaded inside the Bun worker, so it must
 * import nothing but node:fs and node:path (no valibot, no errors.ts).
 */

/** Directories no profile can grant, before and after symlink resolution. */
export const NEVER_GRANTABLE_ROOTS: readonly string[] = ['/proc', '/sys', '/dev'];

/** Symlinks followed while canonicalising one path, as Linux's `MAXSYMLINKS`. */
const MAX_SYMLINKS = 40;

/** The fields of `Capabilities` that `checkPath` reads. */
export interface PathCapabilities {
  allowFilesystem: boolean;
  allowedPaths: readonly string[];
  readOnlyPaths: readonly string[];
}

/** Result of `checkPath`; `resolved` is the canonical path that was judged. */
export type PathDecision =
  | { allowed: true; resolved: string }
  | { allowed: false; resolved: string; rule: string };

/**
 * Whether `target` is `dir` itself or inside it. Both must be absolute and
 * normalised; containment stops at a separator, so `/srv/data-evil` is not
 * inside `/srv/data`.
 */
export function isInside(dir: string, target: string): boolean {
  if (target === dir) return true;
  const prefix = dir.endsWith(sep) ? dir : dir + sep;
  return target.startsWith(prefix);
}

/** The never-grantable root that `path` is in, if any. */
export function neverGrantableRoot(path: string): string | undefined {
  return NEVER_GRANTABLE_ROOTS.find((root) => isInside(root, path));
}

/**
 * Decides whether the worker may `access` `target`.
 *
 * - Nothing is allowed unless `allowFilesystem` is true.
 * - With `allowFilesystem` and an empty `allowedPaths`, every path is allowed
 *   (the original system's semantics), except that `readOnlyPaths` stay read-only.
 * - Otherwise reads are allowed inside `allowedPaths` and `readOnlyPaths`,
 *   writes only inside `allowedPaths` and never inside `readOnlyPaths`
 *   (read-only wins where the two overlap).
 * - `/proc`, `/sys` and `/dev` are always denied, even when listed, and also
 *   when the path only passes through them on the way (a symlink into `/proc`).
 *
 * The target is made absolute against the current directory and canonicalised
 * the way the kernel walks it: `..` is applied after the symlink before it is
 * followed, and for parts that do not exist yet the link text of a dangling
 * symlink is followed too, so a file created through it is judged where it
 * will land. Listed directories are canonicalised the same way at check time.
 * The caller must still check the path it actually opens (a later rename or
 * symlink swap is outside what one check can see).
 */
export function checkPath(target: string, caps: PathCapabilities, access: 'read' | 'write'): PathDecision {
  const walked = canonicalizePath(target);
  const resolved = walked.path;
  if (!caps.allowFilesystem) return { allowed: false, resolved, rule: 'filesystem not allowed' };
  if (walked.loop) return { allowed: false, resolved, rule: 'too many levels of symbolic links' };
  const special = walked.special ?? neverGrantableRoot(resolved);
  if (special !== undefined) return { allowed: false, resolved, rule: `${special} is never grantable` };

  const inAny = (dirs: readonly string[]): boolean => dirs.some((dir) => isInside(canonicalizePath(dir).path, resolved));
  const readOnly = inAny(caps.readOnlyPaths);
  if (access === 'write' && readOnly) return { allowed: false, resolved, rule: 'read-only path' };
  if (caps.allowedPaths.length === 0 || inAny(caps.allowedPaths)) return { allowed: true, resolved };
  if (access === 'read' && readOnly) return { allowed: true, resolved };
  const rule = caps.readOnlyPaths.length === 0 ? 'outside allowedPaths' : 'outside allowedPaths and readOnlyPaths';
  return { allowed: false, resolved, rule };
}

interface Walk {
  /** Canonical absolute path. */
  path: string;
  /** A never-grantable root the walk passed through, if any. */
  special: string | undefined;
  /** The walk gave up after `MAX_SYMLINKS` links. */
  loop: boolean;
}

/**
 * Canonicalises `target` component by component, like the kernel does: each
 * existing symlink is replaced by its link text (relative to its directory),
 * `..` goes up from the real directory reached so far, and components that do
 * not exist are appended as they are.
 */
export function canonicalizePath(target: string): Walk {
  const absolute = isAbsolute(target) ? target : `${process.cwd()}${sep}${target}`;
  const pending = absolute.split(sep).reverse();
  let current: string = sep;
  let special: string | undefined;
  let links = 0;
  let missing = false;
  while (pending.length > 0) {
    const part = pending.pop() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      // Going up may leave the part that did not exist: look again from there.
      current = resolve(current, '..');
      missing = false;
      continue;
    }
    const next = current === sep ? sep + part : current + sep + part;
    special ??= neverGrantableRoot(next);
    if (missing) {
      current = next;
      continue;
    }
    let link: string | undefined;
    try {
      if (lstatSync(next).isSymbolicLink()) link = readlinkSync(next);
    } catch {
      // ENOENT, ENOTDIR, EACCES: the rest cannot be symlinks we can see, and
      // opening it will fail or create exactly this name.
      missing = true;
    }
    if (link === undefined) {
      current = next;
      continue;
    }
    links += 1;
    if (links > MAX_SYMLINKS) return { path: resolve(next, ...pending.reverse()), special, loop: true };
    pending.push(...link.split(sep).reverse());
    if (isAbsolute(link)) current = sep;
  }
  return { path: current, special, loop: false };
}

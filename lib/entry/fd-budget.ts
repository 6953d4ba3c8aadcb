import { createRequire } from 'node:module';

// Taken before the guards wrap node:fs: /dev/null is not a path the handler may open.
const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
const { openSync, closeSync, fstatSync } = fs;

/** Descriptors the handler may not close: the placeholders and Bun's own. */
const placeholders = new Set<number>();

/**
 * RLIMIT_NOFILE caps descriptor numbers, and Bun's own descriptors come first,
 * so the launcher leaves room for them (launcher-args.ts) and what is left over
 * would be the handler's on top of `allowed`. Fills every free number with a
 * placeholder, then gives `allowed` of them back: from here on the handler can
 * open exactly `allowed` descriptors (fewer if Bun itself opens more later).
 * Only call it when the fence set the limit; returns how many are held.
 */
export function reserveDescriptors(allowed: number, ceiling: number): number {
  const held: number[] = [];
  let full = false;
  try {
    while (held.length < ceiling) held.push(openSync('/dev/null', fs.constants.O_WRONLY));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EMFILE') {
      for (const fd of held) closeSync(fd);
      throw error;
    }
    full = true;
  }
  // No limit within reach: nothing to fill.
  if (!full) held.splice(0).forEach((fd) => closeSync(fd));
  // Bun's own descriptors are below the highest placeholder: the handler may not close those either.
  const top = held.length > 0 ? Math.max(...held) : -1;
  const released = new Set(held.splice(Math.max(0, held.length - allowed)));
  for (let fd = 0; fd <= top; fd++) {
    if (released.has(fd)) continue;
    try {
      fstatSync(fd);
      placeholders.add(fd);
    } catch {
      // Not open.
    }
  }
  for (const fd of released) closeSync(fd);
  return held.length;
}

/** True for the descriptors the handler must not close: the placeholders, the channel and stdio. */
export function isReserved(fd: unknown): boolean {
  return typeof fd === 'number' && (fd <= 3 || placeholders.has(fd));
}

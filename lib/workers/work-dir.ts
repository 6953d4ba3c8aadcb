import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Workers' private directories live in one directory per host process,
 * `$TMPDIR/bunbase-host-<pid>-XXXXXX/`. It goes when the host exits (normal
 * end, `process.exit()`, an uncaught error). A host killed by a signal runs no
 * exit handler, so the first host to start a worker afterwards removes every
 * such directory whose owning process is gone.
 */
const HOST_PREFIX = 'bunbase-host-';

let hostDir: string | undefined;

/** Creates an empty private directory for one worker. */
export function createWorkDir(): string {
  try {
    return mkdtempSync(join(ensureHostDir(), 'w-'));
  } catch (error) {
    // A temp cleaner may have removed the host directory under a long-lived host.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    hostDir = undefined;
    return mkdtempSync(join(ensureHostDir(), 'w-'));
  }
}

export function removeWorkDir(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

/** This host process's private directory (mode 0700), made on first use. */
export function hostDirectory(): string {
  if (hostDir !== undefined && existsSync(hostDir)) return hostDir;
  // A temp cleaner may have removed it under a long-lived host.
  hostDir = undefined;
  return ensureHostDir();
}

function ensureHostDir(): string {
  if (hostDir !== undefined) return hostDir;
  sweepOrphans();
  const dir = mkdtempSync(join(tmpdir(), `${HOST_PREFIX}${process.pid}-`));
  hostDir = dir;
  process.once('exit', () => {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Exiting: nothing left to report to.
    }
  });
  return dir;
}

/** Removes host directories whose process no longer exists. */
function sweepOrphans(): void {
  const root = tmpdir();
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(HOST_PREFIX)) continue;
    const pid = Number(name.slice(HOST_PREFIX.length).split('-')[0]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || processExists(pid)) continue;
    try {
      rmSync(join(root, name), { recursive: true, force: true });
    } catch {
      // Another host may be sweeping the same directory.
    }
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists and belongs to someone else.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

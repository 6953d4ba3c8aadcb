import { readdirSync, readFileSync } from 'node:fs';
import { FunctionsError, ResourceExhaustedError, WorkerCrashedError } from '../errors.js';

/**
 * Descriptors a spawn needs at its peak: libuv opens both ends of a socket
 * pair for each of stdout, stderr and the channel, plus its own error pipe,
 * before the child's ends are closed. Three stay open per live worker.
 */
const SPAWN_PEAK_FDS = 8;
/** Descriptors left to the rest of the host (its sockets, files, module loads) when workers are refused. */
const HOST_RESERVE_FDS = 32;
/** errno codes that mean the machine or the process ran out of something, not that the worker is broken. */
const EXHAUSTED = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'ENOMEM', 'ENOSPC', 'EDQUOT']);

let softLimit: number | undefined | null = null;

/** The soft RLIMIT_NOFILE of this process, read once; undefined where /proc is missing (not Linux). */
function descriptorLimit(): number | undefined {
  if (softLimit !== null) return softLimit;
  softLimit = undefined;
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const value = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (value !== undefined && /^\d+$/.test(value)) softLimit = Number(value);
  } catch {
    // No /proc: the spawn's own EMFILE is still turned into RESOURCE_EXHAUSTED below.
  }
  return softLimit;
}

/**
 * Refuses a worker that would take the host to its descriptor limit. Past
 * the limit Node cannot even create the pipes, and anything else in the host
 * (a socket, a module load) would fail with it; refusing first keeps the host
 * usable. `reserved` counts descriptors already promised but not open yet
 * (forked workers that have not connected back). Throws RESOURCE_EXHAUSTED.
 */
export function checkSpawnHeadroom(runtime: string, reserved = 0): void {
  const limit = descriptorLimit();
  if (limit === undefined) return;
  let open: number;
  try {
    open = readdirSync('/proc/self/fd').length;
  } catch (error) {
    // Listing the table itself needs a descriptor.
    throw spawnFailure(runtime, error);
  }
  if (open + reserved + SPAWN_PEAK_FDS + HOST_RESERVE_FDS > limit) {
    throw new ResourceExhaustedError(
      `Refused to start a ${runtime} worker: the host has ${open} of its ${limit} file descriptors open (ulimit -n) and each worker needs 3, plus ${HOST_RESERVE_FDS} kept for the host; stop other pools or workers, raise the limit, or lower maxWorkers`,
    );
  }
}

/** Turns what a failed spawn threw or emitted into our error: RESOURCE_EXHAUSTED for exhaustion, WORKER_CRASHED otherwise. */
export function spawnFailure(runtime: string, error: unknown): FunctionsError {
  if (error instanceof FunctionsError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const text = error instanceof Error ? error.message : String(error);
  if (code !== undefined && EXHAUSTED.has(code)) {
    return new ResourceExhaustedError(
      `Could not start a ${runtime} worker: the host is out of ${code === 'EAGAIN' ? 'processes' : code === 'ENOSPC' || code === 'EDQUOT' ? 'disk space' : code === 'ENOMEM' ? 'memory' : 'file descriptors'} (${text}); the pool starts workers again once some are free`,
      { cause: error },
    );
  }
  return new WorkerCrashedError(`Could not start the ${runtime} worker: ${text}`, { cause: error });
}

import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Capabilities } from '../capabilities/index.js';

/** Where the Bun worker's report of its OS fence arrives (read by lib/entry/bun.ts). */
export const SANDBOX_REPORT_ENV = 'BUNBASE_SANDBOX';

const MB = 1024 * 1024;
/** Bun's own heap and JIT on top of what the handler may use (measured in docs/os-fence.md). */
const BUN_MEMORY_HEADROOM = 400 * MB;
/**
 * JavaScriptCore reserves its JIT's executable memory in one piece up front,
 * 1 GB by default. Under RLIMIT_DATA that reservation fails and JSC runs
 * without its JIT tiers (a CPU-bound handler 4-5x slower). A smaller
 * reservation fits in the limit, which grows by exactly as much: the heap
 * limit stays what it was and the JIT keeps its tiers.
 */
export const BUN_JIT_RESERVATION_BYTES = 64 * MB;
/**
 * Room for the descriptors Bun holds itself (event loop, timers, stdio, the
 * channel: about 7). RLIMIT_NOFILE caps descriptor *numbers*, so the entry
 * fills what the handler must not have with placeholders at start (bun.ts),
 * and the handler can open exactly maxFileDescriptors.
 */
const BUN_OWN_FDS = 16;
/** Lifetime CPU ceiling of a worker, a backstop behind the host's per-invocation limit. */
const MIN_CPU_BACKSTOP_SECONDS = 600;

const librariesCache = new Map<string, string[]>();

/** The shared libraries a binary loads, as `ldd` lists them; the fence grants exactly these. */
export function sharedLibraries(binary: string): string[] {
  let libraries = librariesCache.get(binary);
  if (libraries === undefined) {
    let listing = '';
    try {
      listing = execFileSync('ldd', [binary], { encoding: 'utf8', env: {} });
    } catch {
      // A static binary: ldd exits non-zero, and there is nothing to grant.
    }
    libraries = [...listing.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => realpathSync(m[1] as string));
    librariesCache.set(binary, libraries);
  }
  return libraries;
}

export interface BunLaunch {
  bun: string;
  entry: string;
  workdir: string;
  capabilities: Capabilities;
  require: boolean;
}

/**
 * The `bunbase-launcher` arguments that fence a Bun worker according to its
 * profile (docs/os-fence.md, "From a capability profile to launcher flags").
 * Bun never needs a socket: fetch goes through the host.
 */
export function bunLauncherArgs(launch: BunLaunch): string[] {
  const caps = launch.capabilities;
  const args = [
    '--workdir', launch.workdir,
    '--keep-fd', '3',
    '--write-file', '/dev/null',
    '--read', dirname(launch.entry),
    '--read', '/proc/self/maps',
    '--env', `HOME=${launch.workdir}`,
    '--env', `BUN_JSC_jitMemoryReservationSize=${BUN_JIT_RESERVATION_BYTES}`,
    '--report-env', SANDBOX_REPORT_ENV,
  ];
  for (const library of sharedLibraries(launch.bun)) args.push('--read', library);
  // Landlock can only grant what exists. A missing directory stays unreachable,
  // as the API layer says too; and a list whose every entry is missing must not
  // turn into "every path".
  if (caps.allowFilesystem) {
    if (caps.allowedPaths.length === 0) args.push('--allow-fs');
    for (const path of caps.allowedPaths.filter((p) => existsSync(p))) args.push('--fs-rw', path);
    for (const path of caps.readOnlyPaths.filter((p) => existsSync(p))) args.push('--fs-ro', path);
  }
  if (caps.allowChildProcess) {
    args.push('--allow-child');
    for (const dir of ['/usr/bin', '/bin', '/usr/lib', '/lib', '/lib64', '/usr/lib64']) args.push('--exec', dir);
  }
  if (caps.allowNetwork) args.push('--allow-net');
  if (caps.maxFileDescriptors > 0) args.push('--max-fds', String(caps.maxFileDescriptors + BUN_OWN_FDS));
  if (caps.maxMemory > 0) args.push('--data-bytes', String(caps.maxMemory + BUN_MEMORY_HEADROOM + BUN_JIT_RESERVATION_BYTES));
  if (caps.maxCpu > 0) {
    args.push('--cpu-seconds', String(Math.max(MIN_CPU_BACKSTOP_SECONDS, Math.ceil((caps.maxCpu * 20) / 1000))));
  }
  if (launch.require) args.push('--require');
  args.push('--', launch.bun, '--smol', launch.entry);
  return args;
}

import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { validateCapabilities } from './capabilities/index.js';
import { BundleLoadError } from './errors.js';
import { createHostCallHandler } from './host-fetch.js';
import { validateOptions, type PoolOptions } from './options.js';
import { Pool } from './pool.js';
import { BunWorker } from './workers/bun-worker.js';
import { bunEntryPath, findBunBinary, findLauncherBinary, findQuickJSBinary } from './workers/binary-path.js';
import { QuickJSWorker } from './workers/quickjs-worker.js';
import type { WorkerContext, Worker } from './workers/worker.js';

/**
 * Creates a pool of sandboxed workers running one handler bundle.
 *
 * Everything is validated before any process is spawned: options
 * (`INVALID_OPTIONS`), the capability profile (`INVALID_CAPABILITIES`), the
 * source (`BUNDLE_LOAD_ERROR` when `source.path` cannot be read) and the
 * runtime (`RUNTIME_UNAVAILABLE` when its binary is missing).
 */
export function createPool(options: PoolOptions): Pool {
  const resolved = validateOptions(options);
  const capabilities = validateCapabilities(resolved.capabilities);
  let source: string;
  let filename: string;
  if ('code' in resolved.source) {
    source = resolved.source.code;
    filename = resolved.source.filename;
  } else {
    const path = resolve(resolved.source.path);
    try {
      source = readFileSync(path, 'utf8');
    } catch (error) {
      throw new BundleLoadError(`Cannot read the handler bundle at ${path}: ${(error as Error).message}`, { cause: error });
    }
    filename = basename(path);
  }
  let createWorker: (context: WorkerContext) => Worker;
  // The one place a runtime is chosen.
  if (resolved.runtime === 'bun') {
    const paths = {
      bun: findBunBinary(),
      entry: bunEntryPath(),
      launcher: resolved.osSandbox ? findLauncherBinary() : undefined,
    };
    createWorker = (context) => new BunWorker(context, paths);
  } else {
    const binary = findQuickJSBinary();
    createWorker = (context) => new QuickJSWorker(context, binary);
  }
  return new Pool({
    runtime: resolved.runtime,
    options: resolved,
    capabilities,
    source,
    filename,
    hostCall: createHostCallHandler(capabilities, resolved.maxBodyBytes, resolved.timeoutMs),
    createWorker,
  });
}

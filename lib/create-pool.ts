import { loadSource } from './bundle/load-source.js';
import { validateCapabilities } from './capabilities/index.js';
import { SandboxUnavailableError } from './errors.js';
import { createHostCallHandler } from './host-fetch.js';
import { createMockHostCall } from './mock-fetch.js';
import { validateOptions, type PoolOptions } from './options.js';
import { Pool } from './pool.js';
import { BunWorker } from './workers/bun-worker.js';
import { bunEntryPath, findBunBinary, findLauncherBinary, findQuickJSBinary } from './workers/binary-path.js';
import { QuickJSWorker } from './workers/quickjs-worker.js';
import { WasmWorker } from './workers/wasm/wasm-worker.js';
import type { WorkerContext, Worker } from './workers/worker.js';

/**
 * Creates a pool of sandboxed workers running one handler bundle.
 *
 * Everything is validated before any process is spawned: options
 * (`INVALID_OPTIONS`), the capability profile (`INVALID_CAPABILITIES`), the
 * source (`BUNDLE_LOAD_ERROR` when `source.path` cannot be read or
 * `source.entry` does not exist) and the runtime (`RUNTIME_UNAVAILABLE` when
 * its binary is missing, `SANDBOX_UNAVAILABLE` for `quickjs-wasm` with
 * `requireOsSandbox`).
 *
 * `source: { entry }` is bundled on the host (esbuild) unless a bundle of the
 * unchanged entry is cached; until then workers wait, and `pool.ready()`
 * rejects with the build error.
 */
export function createPool(options: PoolOptions): Pool {
  const resolved = validateOptions(options);
  const capabilities = validateCapabilities(resolved.capabilities);
  let createWorker: (context: WorkerContext) => Worker;
  // The one place a runtime is chosen.
  if (resolved.runtime === 'bun') {
    const paths = {
      bun: findBunBinary(),
      entry: bunEntryPath(),
      launcher: resolved.osSandbox ? findLauncherBinary() : undefined,
    };
    createWorker = (context) => new BunWorker(context, paths);
  } else if (resolved.runtime === 'quickjs-wasm') {
    if (resolved.requireOsSandbox) {
      throw new SandboxUnavailableError(
        'quickjs-wasm has no OS layer: its sandboxes are runtimes inside threads of this process, fenced by the API layer and WebAssembly only (docs/security.md). Use quickjs-ng or bun with requireOsSandbox, or drop requireOsSandbox.',
      );
    }
    createWorker = (context) => new WasmWorker(context);
  } else {
    const binary = findQuickJSBinary();
    createWorker = (context) => new QuickJSWorker(context, binary);
  }
  // Last: a build started here must not be wasted on a pool that a check above refuses.
  const bundle = loadSource(resolved);
  return new Pool({
    runtime: resolved.runtime,
    options: resolved,
    capabilities,
    bundle,
    hostCall:
      resolved.fetch === undefined
        ? createHostCallHandler(capabilities, resolved.maxBodyBytes, resolved.timeoutMs, resolved.hostFetch.maxSockets)
        : createMockHostCall(resolved.fetch, capabilities, resolved.maxBodyBytes),
    createWorker,
  });
}

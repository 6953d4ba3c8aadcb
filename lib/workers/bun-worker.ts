import { spawn, type SpawnOptions } from 'node:child_process';
import { bunLauncherArgs } from '../sandbox/launcher-args.js';
import { guardBundle } from './bun-dynamic-imports.js';
import { ProcessTransport } from './process-transport.js';
import { InvocationSession } from './session.js';
import type { WorkerContext } from './worker.js';

export interface BunPaths {
  bun: string;
  entry: string;
  /** `bunbase-launcher`, or undefined when the pool runs without the OS fence. */
  launcher: string | undefined;
}

/**
 * A Bun child process running our entry (lib/entry/bun.ts). Bun has every
 * API; the entry fences them, and `bunbase-launcher` fences the process
 * itself before Bun starts (docs/os-fence.md).
 */
export class BunWorker extends InvocationSession {
  constructor(context: WorkerContext, paths: BunPaths) {
    super('bun', context, new ProcessTransport('bun', context, {
      // The bundle's import() expressions call the entry's guarded loader.
      init: bunInit(context.source),
      spawn: (workdir) => {
        // child_process, not execa: when the host is out of descriptors execa throws before the
        // caller can listen on the ChildProcess, whose 'error' event then takes the host down.
        // The entry exits when the host's end of its channel closes, so no exit hook is needed.
        const options: SpawnOptions = {
          stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
          // Nothing of the host's environment: the entry installs the pool's `env`.
          env: {},
        };
        if (paths.launcher === undefined || workdir === undefined) {
          return spawn(paths.bun, ['--smol', paths.entry], options);
        }
        const args = bunLauncherArgs({
          bun: paths.bun,
          entry: paths.entry,
          workdir,
          capabilities: context.capabilities,
          require: context.options.requireOsSandbox,
        });
        return spawn(paths.launcher, args, options);
      },
    }));
  }
}

/** The init fields of a bundle whose import() goes through the entry's loader (bun-dynamic-imports.ts). */
function bunInit(source: string): Record<string, unknown> {
  const guarded = guardBundle(source);
  return 'error' in guarded ? { bundleError: guarded.error } : { source: guarded.source, importLoader: guarded.importLoader };
}

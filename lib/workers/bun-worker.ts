import { execa } from 'execa';
import type { ChildProcess } from 'node:child_process';
import { bunLauncherArgs } from '../sandbox/launcher-args.js';
import { ProcessWorker } from './process-worker.js';
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
export class BunWorker extends ProcessWorker {
  constructor(context: WorkerContext, paths: BunPaths) {
    super('bun', context, {
      spawn: (workdir) => {
        const options = {
          stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
          // Nothing of the host's environment: the entry installs the pool's `env`.
          env: {},
          extendEnv: false,
          buffer: false,
          reject: false,
          cleanup: true,
          stripFinalNewline: false,
        } as const;
        if (paths.launcher === undefined || workdir === undefined) {
          return execa(paths.bun, ['--smol', paths.entry], options) as unknown as ChildProcess;
        }
        const args = bunLauncherArgs({
          bun: paths.bun,
          entry: paths.entry,
          workdir,
          capabilities: context.capabilities,
          require: context.options.requireOsSandbox,
        });
        return execa(paths.launcher, args, options) as unknown as ChildProcess;
      },
    });
  }
}

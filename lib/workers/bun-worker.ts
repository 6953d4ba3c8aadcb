import { execa } from 'execa';
import type { ChildProcess } from 'node:child_process';
import { ProcessWorker } from './process-worker.js';
import type { WorkerContext } from './worker.js';

/**
 * A Bun child process running our entry (lib/entry/bun.ts). Bun has every
 * API; the entry fences them and the OS layer carries the real weight.
 */
export class BunWorker extends ProcessWorker {
  constructor(context: WorkerContext, paths: { bun: string; entry: string }) {
    super('bun', context, {
      spawn: () =>
        execa(paths.bun, ['--smol', paths.entry], {
          stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
          // Nothing of the host's environment: the entry installs the pool's `env`.
          env: {},
          extendEnv: false,
          buffer: false,
          reject: false,
          cleanup: true,
          stripFinalNewline: false,
        }) as unknown as ChildProcess,
    });
  }
}

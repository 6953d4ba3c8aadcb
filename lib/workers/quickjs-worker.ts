import { spawn } from 'node:child_process';
import { ProcessWorker } from './process-worker.js';
import type { WorkerContext } from './worker.js';

/**
 * The native QuickJS-NG worker (native/). Spawned with child_process directly:
 * start-up is a few milliseconds, and execa's per-spawn set-up would be a
 * visible share of it.
 */
export class QuickJSWorker extends ProcessWorker {
  constructor(context: WorkerContext, binary: string) {
    super('quickjs-ng', context, {
      spawn: () => spawn(binary, [], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: {} }),
    });
  }
}

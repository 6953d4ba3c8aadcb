import { spawn } from 'node:child_process';
import { ForkServer } from './fork-server.js';
import { ProcessTransport } from './process-transport.js';
import { InvocationSession } from './session.js';
import type { WorkerContext } from './worker.js';

/**
 * The native QuickJS-NG worker (native/). Forked by the fork server
 * (docs/fork-server.md) unless the pool says `forkServer: false`; otherwise
 * spawned with child_process directly: start-up is a few milliseconds, and
 * execa's per-spawn set-up would be a visible share of it.
 */
export class QuickJSWorker extends InvocationSession {
  readonly #transport: ProcessTransport;

  constructor(context: WorkerContext, binary: string) {
    const env = sanitizerEnv();
    const { isolation, randomSeed, fakeClock } = context.options;
    const transport = new ProcessTransport('quickjs-ng', context, {
      spawn: () => spawn(binary, [], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env }),
      forkServer: context.options.forkServer ? forkServer(binary, env) : undefined,
      // The unit-test sandbox's options (docs/protocol.md, init).
      init: { isolation, randomSeed: randomSeed ?? null, fakeClock: fakeClock ?? null },
    });
    super('quickjs-ng', context, transport);
    this.#transport = transport;
  }

  advanceTime(ms: number): Promise<void> {
    return this.#transport.advanceTime(ms);
  }
}

/** The host's fork server for `binary`; undefined (spawn instead) where it cannot run, e.g. a TMPDIR too long for a socket path. */
function forkServer(binary: string, env: Record<string, string>): ForkServer | undefined {
  try {
    return ForkServer.for(binary, env);
  } catch {
    return undefined;
  }
}

/**
 * The worker's environment is empty. The one exception is debugging: when
 * BUNBASE_QJS_WORKER points at a sanitizer build, the host's sanitizer
 * settings (where to write reports) are passed through. They configure the
 * sanitizer runtime, never the handler, which has no access to the environment.
 */
function sanitizerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  if (!process.env['BUNBASE_QJS_WORKER']) return env;
  for (const name of ['ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

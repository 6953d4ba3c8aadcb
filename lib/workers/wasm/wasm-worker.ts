import { InvocationSession } from '../session.js';
import type { WorkerContext } from '../worker.js';
import { ThreadTransport } from './thread-transport.js';

/**
 * The quickjs-wasm worker: QuickJS-NG compiled to WebAssembly
 * (quickjs-emscripten), one runtime and context per worker inside the
 * process's shared threads. No native build, any OS; API-layer enforcement
 * only (docs/security.md).
 */
export class WasmWorker extends InvocationSession {
  readonly #transport: ThreadTransport;

  constructor(context: WorkerContext) {
    const transport = new ThreadTransport({
      source: context.source,
      filename: context.filename,
      env: context.options.env,
      capabilities: context.capabilities,
      limits: { maxBodyBytes: context.options.maxBodyBytes, maxLogBytes: context.options.maxLogBytes },
      fakeClock: context.options.fakeClock ?? null,
      randomSeed: context.options.randomSeed ?? null,
      isolation: context.options.isolation,
    }, context.options.inline, context.options.spinWaitUs);
    super('quickjs-wasm', context, transport);
    this.#transport = transport;
  }

  advanceTime(ms: number): Promise<void> {
    return this.#transport.advanceTime(ms);
  }
}

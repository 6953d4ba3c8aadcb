import { EventEmitter } from 'node:events';

/** The sessions' ends (the first of each pair) of the pairs still open on this thread. */
const sessionEnds = new Set<LocalPort>();
/** Set by thread.ts, which holds the engine: this file is loaded for every quickjs-wasm pool, the engine only for inline ones. */
let discardEngine: (() => void) | undefined;

export function onEngineLost(discard: () => void): void {
  discardEngine = discard;
}

/**
 * One end of a pair of ports on one thread, for `inline: true`: what a
 * MessageChannel gives the session and its sandbox (`message`, then `close`
 * on both ends), without the structured clone and the trip through the event
 * loop. Messages are delivered in order, each in a microtask of its own;
 * both ends are the library's code, and neither changes a message after
 * sending it, so passing it by reference is safe.
 */
export class LocalPort extends EventEmitter {
  #peer: LocalPort | undefined;
  #closed = false;

  static pair(): [LocalPort, LocalPort] {
    const a = new LocalPort();
    const b = new LocalPort();
    a.#peer = b;
    b.#peer = a;
    sessionEnds.add(a);
    return [a, b];
  }

  postMessage(message: unknown): void {
    const peer = this.#peer;
    if (this.#closed || peer === undefined) return;
    queueMicrotask(() => {
      if (peer.#closed) return;
      try {
        peer.emit('message', message);
      } catch (error) {
        if (!inlineEngineLost(error)) throw error;
      }
    });
  }

  /** Closes both ends: each hears `close` once, after the messages sent before. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const peer = this.#peer;
    sessionEnds.delete(this);
    if (peer !== undefined) sessionEnds.delete(peer);
    queueMicrotask(() => {
      this.emit('close');
      if (peer !== undefined && !peer.#closed) {
        peer.#closed = true;
        peer.emit('close');
      }
    });
  }
}

/**
 * Something threw out of an inline sandbox's engine call, made from a
 * message or a timer: the engine itself (the host's stack overflowed inside
 * the WebAssembly, 100,000 nested arrays in JSON.parse), since the sandbox
 * catches what handlers throw. Uncaught, it ended the host process. What a
 * thread's crash is to sandboxes on threads: every inline sandbox on this
 * thread fails (`lost`: the session's WORKER_CRASHED and a replacement), and
 * the next one gets a new engine. Returns false, having done nothing, on a
 * thread without inline sandboxes (a sandbox thread dies of it as before).
 */
export function inlineEngineLost(error: unknown): boolean {
  if (sessionEnds.size === 0) return false;
  discardEngine?.();
  for (const end of [...sessionEnds]) {
    end.emit('lost', error);
    end.close();
  }
  return true;
}

import { EventEmitter } from 'node:events';

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
    return [a, b];
  }

  postMessage(message: unknown): void {
    const peer = this.#peer;
    if (this.#closed || peer === undefined) return;
    queueMicrotask(() => {
      if (!peer.#closed) peer.emit('message', message);
    });
  }

  /** Closes both ends: each hears `close` once, after the messages sent before. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const peer = this.#peer;
    queueMicrotask(() => {
      this.emit('close');
      if (peer !== undefined && !peer.#closed) {
        peer.#closed = true;
        peer.emit('close');
      }
    });
  }
}

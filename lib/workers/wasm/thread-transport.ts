import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { WorkerCrashedError } from '../../errors.js';
import type { PolledChannel } from '../spin-wait.js';
import type { SessionCommand, Transport, TransportEvents } from '../transport.js';
import { FastLane, newLaneBuffer } from './fast-lane.js';
import { LocalPort } from './local-port.js';
import type { FromSandbox, SandboxSettings, ToSandbox } from './messages.js';
import { startSandbox, stopThread } from './threads.js';

/** How long a stopped sandbox may take to notice before its whole thread is stopped. */
const STOP_GRACE_MS = 1000;

/**
 * A quickjs-wasm worker's messages: a MessagePort to its sandbox on one of
 * the shared threads, with a fast lane beside it for calls and answers
 * (fast-lane.ts). Bodies cross as bytes. Stopping is cooperative first
 * (a shared flag the engine's interrupt check reads, then `shutdown`), and
 * stops the thread only when the sandbox no longer answers.
 *
 * `inline`: the sandbox runs on the host's own thread instead, through a
 * LocalPort pair (no thread hop, no copy). For tests: a handler that computes
 * holds the host's event loop, and there is no thread to stop as a last
 * resort, only the interrupt checks.
 */
export class ThreadTransport implements Transport {
  readonly pid = undefined;
  readonly #settings: SandboxSettings;
  readonly #inline: boolean;
  readonly #spinUs: number;
  /** On a thread, every message to the sandbox goes through the lane (it keeps both ways in order). */
  #lane: FastLane<ToSandbox, FromSandbox> | undefined;
  readonly polled: PolledChannel | undefined;
  readonly #stop = new SharedArrayBuffer(4);
  #port: MessagePort | LocalPort | undefined;
  #events: TransportEvents | undefined;
  #threadId: number | undefined;
  #exited = false;
  #killTimer: NodeJS.Timeout | undefined;
  readonly #advances: (() => void)[] = [];
  /** Resolves once the sandbox runs on a thread (its first message). */
  #dispatched: (() => void) | undefined;

  /** `spinUs`: how long the sandbox polls for its next call after an answer (the pool's spinWaitUs). */
  constructor(settings: SandboxSettings, inline = false, spinUs = 0) {
    this.#settings = settings;
    this.#inline = inline;
    this.#spinUs = spinUs;
    this.polled = inline
      ? undefined
      : {
          poll: () => {
            if (!this.#exited) this.#lane?.poll();
          },
          polling: (on) => {
            if (!this.#exited) this.#lane?.polling(on);
          },
        };
  }

  open(events: TransportEvents): void {
    this.#events = events;
    const failed = (error: unknown): void =>
      this.#exit(null, 'SIGKILL', new WorkerCrashedError(`The quickjs-wasm thread failed: ${(error as Error).message}`, { cause: error }));
    if (this.#inline) {
      const [port1, port2] = LocalPort.pair();
      this.#port = port1;
      port1.on('message', (message: FromSandbox) => this.#onMessage(message));
      port1.on('close', () => this.#exit(0, null));
      port1.on('lost', (error: unknown) => failed(error));
      // Loaded on demand: the engine is instantiated on the host thread only for inline pools.
      import('./thread.js').then((thread) => thread.default({ port: port2, settings: this.#settings, stop: this.#stop })).catch(failed);
      return;
    }
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    const lane = newLaneBuffer();
    const fast = new FastLane<ToSandbox, FromSandbox>(lane, 'host', port1, 'invoke', (message) => this.#onMessage(message));
    this.#lane = fast;
    port1.on('message', (message: FromSandbox) => fast.fromPort(message));
    port1.on('close', () => this.#exit(0, null));
    const dispatched = new Promise<void>((resolve) => (this.#dispatched = resolve));
    startSandbox({ port: port2, settings: this.#settings, stop: this.#stop, lane, spinUs: this.#spinUs }, dispatched).catch(failed);
  }

  send(command: SessionCommand, onWritten?: () => void): void {
    // Both ways copy the message at once: it has left this transport when they return.
    if (!this.#exited) this.#post(this.#inline ? command : bodiesCut(command));
    onWritten?.();
  }

  /** Moves the sandbox's fake clock (the unit-test sandbox); resolves once its due timers ran. */
  advanceTime(ms: number): Promise<void> {
    if (this.#exited || this.#port === undefined) return Promise.resolve();
    this.#post({ type: 'advanceTime', ms });
    return new Promise((resolve) => this.#advances.push(resolve));
  }

  #post(message: ToSandbox): void {
    if (this.#lane !== undefined) this.#lane.send(message);
    else this.#port?.postMessage(message);
  }

  close(graceMs: number): void {
    this.#escalate(graceMs);
  }

  kill(): void {
    if (this.#exited) return;
    Atomics.store(new Int32Array(this.#stop), 0, 1);
    this.#post({ type: 'shutdown', id: 0 });
    this.#escalate(STOP_GRACE_MS);
  }

  #escalate(graceMs: number): void {
    if (this.#exited || this.#killTimer !== undefined) return;
    this.#killTimer = setTimeout(() => {
      if (this.#exited) return;
      Atomics.store(new Int32Array(this.#stop), 0, 1);
      // Inline, the sandbox cannot be running now (this timer runs on its thread): there is nothing to stop.
      if (this.#threadId !== undefined && !this.#inline) stopThread(this.#threadId);
      this.#exit(null, 'SIGKILL');
    }, graceMs);
    this.#killTimer.unref();
  }

  #onMessage(message: FromSandbox): void {
    if (this.#exited) return;
    if (message.type === 'thread') {
      this.#threadId = message.payload.threadId;
      this.#dispatched?.();
      return;
    }
    if (message.type === 'advanced') {
      this.#advances.shift()?.();
      return;
    }
    if (message.type === 'overrun') {
      this.#events?.overrun(message.payload.finding, message.payload.detail);
      return;
    }
    if (message.type === 'violation') {
      this.#events?.violation(message.payload.reason);
      return;
    }
    if (message.type === 'exit') {
      this.#exit(message.payload.code, null);
      return;
    }
    // The lane takes its doorbells; one here would be a LocalPort's, which has none.
    if (message.type === 'doorbell') return;
    this.#events?.message(message);
  }

  #exit(code: number | null, signal: NodeJS.Signals | null, failure?: WorkerCrashedError): void {
    if (this.#exited) return;
    this.#exited = true;
    clearTimeout(this.#killTimer);
    this.#dispatched?.();
    this.#port?.close();
    for (const resolve of this.#advances.splice(0)) resolve();
    this.#events?.exit({ code, signal, failure });
  }
}

/**
 * The command with each body cut to its own bytes. Structured clone copies
 * the whole buffer under a view (a 5-byte subarray of an 8 MB buffer
 * crossed as 8 MB); the caller's bytes are not ours to transfer, so a view
 * is copied down to itself first. A body that is its whole buffer (a string
 * body, encoded by the pool) goes as it is.
 */
function bodiesCut(command: SessionCommand): SessionCommand {
  if (command.type === 'invoke' && command.payload.body !== null && !whole(command.payload.body)) {
    return { ...command, payload: { ...command.payload, body: command.payload.body.slice() } };
  }
  if (command.type === 'result' && command.payload.ok && !whole(command.payload.value.body)) {
    return { ...command, payload: { ...command.payload, value: { ...command.payload.value, body: command.payload.value.body.slice() } } };
  }
  return command;
}

function whole(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}

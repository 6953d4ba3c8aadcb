import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

/**
 * A way past the MessagePort for a quickjs-wasm sandbox's calls and answers.
 *
 * A MessagePort message costs about 10 µs each way even when both threads
 * are awake and polling (serialising, the port's lock, the receiving side's
 * objects), and a sleeping thread's wake-up on top; on the 2-core machine a
 * warm hello spent more on the hop than in the engine (docs/performance.md).
 * Here each direction has one mailbox in memory both threads share: the
 * sender writes the message as JSON text plus its body bytes and sets a
 * word; a receiver that polls (it has just sent work, or just answered, see
 * SpinWait) reads it without any system call. A receiver that does not poll
 * is woken by a doorbell, an empty message on the port.
 *
 * Only one kind of message takes it each way (the host's `invoke`, the
 * sandbox's `response`), and only when the mailbox is free and it fits;
 * everything else goes by the port as before. The two ways are kept in the
 * order the messages were sent: a mailbox message records how many port
 * messages its sender had posted before it, and the receiver takes it after
 * exactly those (they are already in the port's queue: postMessage queues
 * synchronously), before any later one.
 */

/** Int32 words of one mailbox. */
const STATE = 0; // 0: empty, 1: holds a message
const TEXT_BYTES = 1;
const BODY_BYTES = 2; // -1: no body
const PORT_COUNT = 3; // port messages the sender had posted before this one
const POLLING = 4; // 1 while the receiver polls: the sender rings no doorbell
const WORDS = 8;
/** Text and body bytes a mailbox holds; a larger message goes by the port. */
const CAPACITY = 32 * 1024;
const MAILBOX_BYTES = WORDS * 4 + CAPACITY;

/** Two mailboxes: [0] to the sandbox, [1] to the host. */
export function newLaneBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * MAILBOX_BYTES);
}

const encoder = new TextEncoder();

class Mailbox {
  readonly #buffer: SharedArrayBuffer;
  readonly #words: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #bytesAt: number;

  constructor(buffer: SharedArrayBuffer, index: 0 | 1) {
    this.#buffer = buffer;
    this.#words = new Int32Array(buffer, index * MAILBOX_BYTES, WORDS);
    this.#bytesAt = index * MAILBOX_BYTES + WORDS * 4;
    this.#bytes = new Uint8Array(buffer, this.#bytesAt, CAPACITY);
  }

  /** Writes the message if the mailbox is empty and it fits; returns whether it did. */
  put(text: string, body: Uint8Array | null, portCount: number): boolean {
    if (Atomics.load(this.#words, STATE) !== 0) return false;
    const bodyBytes = body?.byteLength ?? 0;
    // UTF-8 is at most 3 bytes per UTF-16 unit: a text that cannot fit is not encoded at all.
    if (text.length + bodyBytes > CAPACITY) return false;
    const { read, written } = encoder.encodeInto(text, this.#bytes.subarray(0, CAPACITY - bodyBytes));
    if (read !== text.length) return false;
    if (body !== null) this.#bytes.set(body, written);
    this.#words[TEXT_BYTES] = written;
    this.#words[BODY_BYTES] = body === null ? -1 : bodyBytes;
    this.#words[PORT_COUNT] = portCount;
    // Published last: the reader sees the whole message once it sees the state.
    Atomics.store(this.#words, STATE, 1);
    return true;
  }

  /** The waiting message's PORT_COUNT, or -1 when the mailbox is empty. */
  waiting(): number {
    return Atomics.load(this.#words, STATE) === 1 ? this.#words[PORT_COUNT]! : -1;
  }

  /** Copies the waiting message out and frees the mailbox for the next. */
  take(): { text: string; body: Uint8Array | null } {
    const textBytes = this.#words[TEXT_BYTES]!;
    const bodyBytes = this.#words[BODY_BYTES]!;
    const text = Buffer.from(this.#buffer, this.#bytesAt, textBytes).toString('utf8');
    // slice() gives the body a buffer of its own, not shared.
    const body = bodyBytes < 0 ? null : this.#bytes.slice(textBytes, textBytes + bodyBytes);
    Atomics.store(this.#words, STATE, 0);
    return { text, body };
  }

  get polling(): boolean {
    return Atomics.load(this.#words, POLLING) === 1;
  }

  set polling(on: boolean) {
    Atomics.store(this.#words, POLLING, on ? 1 : 0);
  }
}

/** A message with a body in its payload, the kind that may take the mailbox. */
interface WithBody {
  type: string;
  payload: { body: Uint8Array | null };
}

/** The port message that only says "look in the mailbox". */
export const DOORBELL = { type: 'doorbell', id: 0, payload: {} } as const;

/**
 * One end of a lane: `send` for what this end says, `fromPort` for what its
 * port's 'message' event brings, `poll` while it polls. Messages reach
 * `deliver` in the order the other end sent them, whichever way they came.
 */
export class FastLane<Out extends { type: string }, In extends { type: string }> {
  readonly #port: MessagePort;
  readonly #out: Mailbox;
  readonly #in: Mailbox;
  readonly #fast: string;
  readonly #deliver: (message: In) => void;
  /** Port messages this end posted, and took. */
  #posted = 0;
  #received = 0;

  /**
   * `side`: which end this is. `fast`: the type of this end's messages that
   * may take the mailbox (they carry `payload.body`).
   */
  constructor(buffer: SharedArrayBuffer, side: 'host' | 'sandbox', port: MessagePort, fast: Out['type'], deliver: (message: In) => void) {
    this.#port = port;
    this.#out = new Mailbox(buffer, side === 'host' ? 0 : 1);
    this.#in = new Mailbox(buffer, side === 'host' ? 1 : 0);
    this.#fast = fast;
    this.#deliver = deliver;
  }

  send(message: Out, transfer?: ArrayBuffer[]): void {
    if (message.type === this.#fast) {
      const { payload } = message as unknown as WithBody;
      const text = JSON.stringify({ ...message, payload: { ...payload, body: null } });
      if (this.#out.put(text, payload.body, this.#posted)) {
        // Written before the check: a receiver that stops polling after it looks in the mailbox once more.
        if (!this.#out.polling) this.#post(DOORBELL as unknown as Out);
        return;
      }
    }
    this.#post(message, transfer);
  }

  /** A message the port delivered. */
  fromPort(message: In): void {
    this.#received++;
    // A mailbox message sent before this one goes first.
    const before = this.#in.waiting();
    if (before >= 0 && before < this.#received) this.#takeMailbox();
    if (message.type !== DOORBELL.type) this.#deliver(message);
  }

  /** Takes the mailbox's message, if one waits, after the port messages sent before it. */
  poll(): void {
    const before = this.#in.waiting();
    if (before < 0) return;
    while (this.#received < before) {
      const next = receiveMessageOnPort(this.#port);
      if (next === undefined) break;
      this.fromPort(next.message as In);
    }
    // Delivering those may have taken it already (a doorbell among them).
    if (this.#in.waiting() >= 0) this.#takeMailbox();
  }

  /** While on, the other end rings no doorbell: this end must poll. Turning it off looks in the mailbox a last time. */
  polling(on: boolean): void {
    this.#in.polling = on;
    if (!on) this.poll();
  }

  #post(message: Out, transfer?: ArrayBuffer[]): void {
    this.#posted++;
    this.#port.postMessage(message, transfer);
  }

  #takeMailbox(): void {
    const { text, body } = this.#in.take();
    const message = JSON.parse(text) as In & WithBody;
    message.payload.body = body;
    this.#deliver(message);
  }
}

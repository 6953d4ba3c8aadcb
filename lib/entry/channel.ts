import { isAscii } from 'node:buffer';
import { createRequire } from 'node:module';
import { LineSplitter } from '../protocol/line-splitter.js';

// Required, not imported: Bun freezes an ES-module namespace of node:fs on
// first import, and the guards must patch node:fs before that happens.
const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');

/** Messages longer than this are worth a garbage collection between decoding steps. */
const LARGE_LINE = 4 * 1024 * 1024;

/** The entry's own JSON, taken before the handler loads: a handler may replace the global's methods. */
const { parse: parseJson, stringify: stringifyJson } = JSON;
/** Likewise queueMicrotask: posted answers would otherwise wait for the next write. */
const enqueue = queueMicrotask;

/** The protocol descriptor the host opened for us (docs/protocol.md). */
export const CHANNEL_FD = 3;

/** Lines above this size are written on their own, never copied into a batch. */
const BATCH_LINE_BYTES = 64 * 1024;

type Message = { id: number; type: string; payload: unknown };

/** Messages posted this turn, written together by flushPosted() (post). */
let posted: Message[] = [];
/** Runs before posted messages are turned into text (beforeWrite). */
let beforePostedWrite: (() => void) | undefined;

/** Retries of a write that made no progress before each pause of a millisecond. */
const SPINS_BEFORE_PAUSE = 64;
/** Characters written per call: a large message is never copied whole again (maxMemory). */
const SLICE_CHARS = 1024 * 1024;

/**
 * Writes `text` whole before returning. Synchronous on purpose: a write
 * completes or waits for the host to read, so a log written just before
 * `process.exit()` is never lost and a handler that logs without end is held
 * back by the host's reading. Bun's socket (listen) made the descriptor
 * non-blocking, so a write the socket buffer cannot take at once is finished
 * here: retried at once a few times (the host reads within microseconds),
 * then with pauses.
 */
function writeAll(text: string): void {
  if (text.length <= SLICE_CHARS) return writeSlice(text);
  for (let at = 0; at < text.length; ) {
    let end = Math.min(text.length, at + SLICE_CHARS);
    // Never between the two halves of a surrogate pair: each slice is encoded on its own.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    writeSlice(text.slice(at, end));
    at = end;
  }
}

function writeSlice(text: string): void {
  const first = tryWrite(text, 0);
  if (first === Buffer.byteLength(text, 'utf8')) return;
  const bytes = Buffer.from(text, 'utf8');
  let written = first;
  let idle = 0;
  while (written < bytes.length) {
    const n = tryWrite(bytes, written);
    written += n;
    if (n > 0) idle = 0;
    else if (++idle >= SPINS_BEFORE_PAUSE) Bun.sleepSync(1);
  }
}

/** Bytes written now (0 when the socket buffer is full). */
function tryWrite(data: string | Buffer, offset: number): number {
  try {
    return typeof data === 'string' ? fs.writeSync(CHANNEL_FD, data) : fs.writeSync(CHANNEL_FD, data, offset);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    return 0;
  }
}

/**
 * `hook` runs once before the messages posted so far become text, whatever
 * writes them (flushPosted, send, sendWithBody): the entry fills in the figures of
 * the answers among them then, with one reading for all of them.
 */
export function beforeWrite(hook: () => void): void {
  beforePostedWrite = hook;
}

/**
 * The posted messages as text, in order, to be written before anything else.
 * A line above BATCH_LINE_BYTES is written here on its own, never copied into
 * the text.
 */
function takePosted(): string {
  if (posted.length === 0) return '';
  beforePostedWrite?.();
  const messages = posted;
  posted = [];
  let text = '';
  for (const message of messages) {
    const line = stringifyJson(message) + '\n';
    if (line.length <= BATCH_LINE_BYTES) {
      text += line;
      continue;
    }
    if (text !== '') writeAll(text);
    text = '';
    writeAll(line);
  }
  return text;
}

/** Writes one message, after anything posted before it (writeAll). */
export function send(message: Message): void {
  const line = stringifyJson(message) + '\n';
  const before = takePosted();
  writeAll(before === '' ? line : before + line);
}

/** A body is turned into base64 this many bytes at a time (a multiple of 3: the pieces join into one base64 text). */
const BODY_SLICE_BYTES = 3 * 256 * 1024;
/** A collection after this many pieces of a body: about 8 MB of base64 text. */
const GC_EVERY_PIECES = 8;

/**
 * Writes `message` with `body` as base64 in `payload.body`, without ever
 * holding the body's whole base64 text or the whole line: a 20 MB body would
 * otherwise be alive four times over (bytes, base64, the JSON line, its UTF-8)
 * and push a strict worker past maxMemory.
 */
export function sendWithBody(message: { id: number; type: string; payload: Record<string, unknown> }, body: Uint8Array): void {
  const head = stringifyJson({ id: message.id, type: message.type, payload: message.payload });
  // `payload` is the last field and `body` goes last in it: `…}}` becomes `…,"body":"<base64>"}}`.
  if (!head.endsWith('}}') || 'body' in message.payload) throw new TypeError('sendWithBody: unexpected message shape');
  const start = takePosted() + head.slice(0, -2) + (Object.keys(message.payload).length > 0 ? ',' : '') + '"body":"';
  writeAll(start);
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  for (let at = 0; at < bytes.length; at += BODY_SLICE_BYTES) {
    writeAll(bytes.subarray(at, at + BODY_SLICE_BYTES).toString('base64'));
    // Each piece's text is garbage once written; the collector is slower than the loop, and
    // the watchdog counts what it has not collected yet against maxMemory (a 20 MB body
    // under a 100 MB limit reached 110 MB beyond the runtime's own).
    if ((at / BODY_SLICE_BYTES) % GC_EVERY_PIECES === GC_EVERY_PIECES - 1) Bun.gc(true);
  }
  writeAll('"}}\n');
}

/**
 * Queues one message for a single write at the end of this microtask
 * checkpoint. Answers that settle together (invocations that arrived in one
 * read, concurrency above 1) then cost one system call and one wake-up of the
 * host instead of one each. Only for messages that may wait that long. The
 * message is turned into text when it is written, after beforeWrite's hook.
 */
export function post(message: Message): void {
  if (posted.length === 0) enqueue(flushPosted);
  posted.push(message);
}

/** Writes what was posted now, instead of at the end of the microtask checkpoint. */
export function flushPosted(): void {
  const text = takePosted();
  if (text !== '') writeAll(text);
}

// A handler that calls process.exit() while answers are queued: they still go out.
process.on('exit', flushPosted);

export function listen(maxLineBytes: number, onMessage: (message: HostMessageIn) => void): void {
  const splitter = new LineSplitter(
    maxLineBytes,
    (line) => {
      // A large message (a request body) is held as bytes, then text, then parsed: collect
      // between the steps so that no more than two copies are alive at once (maxMemory).
      if (line.length > LARGE_LINE) Bun.gc(true);
      onMessage(parseJson(line) as HostMessageIn);
    },
    () => process.exit(3),
    (bytes) => {
      if (bytes.length > LARGE_LINE) Bun.gc(true);
      // Text that is all ASCII (every message but those with non-ASCII strings) decoded as
      // Latin-1 is the same text, kept by JavaScriptCore at one byte a character instead of two.
      return bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
    },
  );
  // Bun's socket calls back with each read on its event loop. Its file stream costs a
  // promise and a re-registration with epoll per read (about twice the CPU per message),
  // and node:fs streams read on a thread pool, a thread hop per message.
  void (Bun.connect as unknown as ConnectFd)({
    fd: CHANNEL_FD,
    socket: {
      data(_socket, chunk) {
        splitter.push(chunk);
      },
      // The host closed the channel: nobody is left to answer to.
      end: () => process.exit(0),
      close: () => process.exit(0),
      error: () => process.exit(0),
    },
  }).catch((error: unknown) => {
    // Nothing can reach the host but stderr: it reports the crash with this text.
    process.stderr.write(`bunbase worker: cannot read the channel: ${String(error)}\n`);
    process.exit(1);
  });
}

/** Bun.connect on a descriptor that is already connected (missing from the type declarations we build with). */
type ConnectFd = (options: {
  fd: number;
  socket: { data(socket: unknown, chunk: Buffer): void; end(): void; close(): void; error(): void };
}) => Promise<unknown>;

export interface HostMessageIn {
  id: number;
  type: 'init' | 'invoke' | 'cancel' | 'shutdown' | 'result';
  payload: Record<string, unknown>;
}

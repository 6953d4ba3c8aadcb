import { isAscii } from 'node:buffer';
import { createRequire } from 'node:module';
import { LineSplitter } from '../protocol/line-splitter.js';

// Required, not imported: Bun freezes an ES-module namespace of node:fs on
// first import, and the guards must patch node:fs before that happens.
const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');

/** Messages longer than this are worth a garbage collection between decoding steps. */
const LARGE_LINE = 4 * 1024 * 1024;

/** The protocol descriptor the host opened for us (docs/protocol.md). */
export const CHANNEL_FD = 3;

/** Lines above this size are written on their own, never copied into a batch. */
const BATCH_LINE_BYTES = 64 * 1024;

/** Lines posted this turn, written together by flush() (post). */
let batched = '';

/**
 * Writes one message, after anything posted before it. Synchronous on
 * purpose: the descriptor is a blocking socket, so a write either completes
 * or waits for the host to read, and a log written just before
 * `process.exit()` is never lost.
 */
export function send(message: { id: number; type: string; payload: unknown }): void {
  const line = JSON.stringify(message) + '\n';
  if (batched === '') {
    fs.writeSync(CHANNEL_FD, line);
    return;
  }
  const lines = batched + line;
  batched = '';
  fs.writeSync(CHANNEL_FD, lines);
}

/**
 * Queues one message for a single write at the end of this microtask
 * checkpoint. Answers that settle together (invocations that arrived in one
 * read, concurrency above 1) then cost one system call and one wake-up of the
 * host instead of one each. Only for messages that may wait that long.
 */
export function post(message: { id: number; type: string; payload: unknown }): void {
  const line = JSON.stringify(message) + '\n';
  if (line.length > BATCH_LINE_BYTES) {
    flush();
    fs.writeSync(CHANNEL_FD, line);
    return;
  }
  if (batched === '') queueMicrotask(flush);
  batched += line;
}

function flush(): void {
  if (batched === '') return;
  const lines = batched;
  batched = '';
  fs.writeSync(CHANNEL_FD, lines);
}

// A handler that calls process.exit() while answers are queued: they still go out.
process.on('exit', flush);

export function listen(maxLineBytes: number, onMessage: (message: HostMessageIn) => void): void {
  const splitter = new LineSplitter(
    maxLineBytes,
    (line) => {
      // A large message (a request body) is held as bytes, then text, then parsed: collect
      // between the steps so that no more than two copies are alive at once (maxMemory).
      if (line.length > LARGE_LINE) Bun.gc(true);
      onMessage(JSON.parse(line) as HostMessageIn);
    },
    () => process.exit(3),
    (bytes) => {
      if (bytes.length > LARGE_LINE) Bun.gc(true);
      // Text that is all ASCII (every message but those with non-ASCII strings) decoded as
      // Latin-1 is the same text, kept by JavaScriptCore at one byte a character instead of two.
      return bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
    },
  );
  // Bun's own file stream polls the socket on its event loop; node:fs streams
  // read on a thread pool and cost a thread hop per message (about 15 µs).
  void (async () => {
    try {
      const reader = Bun.file(CHANNEL_FD).stream().getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        splitter.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      }
    } finally {
      // The host closed the channel: nobody is left to answer to.
      process.exit(0);
    }
  })();
}

export interface HostMessageIn {
  id: number;
  type: 'init' | 'invoke' | 'cancel' | 'shutdown' | 'result';
  payload: Record<string, unknown>;
}

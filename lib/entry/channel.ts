import { createRequire } from 'node:module';
import { LineSplitter } from '../protocol/line-splitter.js';

// Required, not imported: Bun freezes an ES-module namespace of node:fs on
// first import, and the guards must patch node:fs before that happens.
const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');

/** The protocol descriptor the host opened for us (docs/protocol.md). */
export const CHANNEL_FD = 3;

/**
 * Writes one message. Synchronous on purpose: the descriptor is a blocking
 * socket, so a write either completes or waits for the host to read, and a
 * log written just before `process.exit()` is never lost.
 */
export function send(message: { id: number; type: string; payload: unknown }): void {
  fs.writeSync(CHANNEL_FD, JSON.stringify(message) + '\n');
}

export function listen(maxLineBytes: number, onMessage: (message: HostMessageIn) => void): void {
  const splitter = new LineSplitter(
    maxLineBytes,
    (line) => onMessage(JSON.parse(line) as HostMessageIn),
    () => process.exit(3),
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

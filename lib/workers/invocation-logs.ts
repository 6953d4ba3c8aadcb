import type { LogEntry } from './worker.js';

/**
 * The logs of one invocation, capped at `maxLogBytes`: past the cap, one
 * truncation marker, then nothing. A handler printing without end must not
 * make the host buffer without end.
 */
export class InvocationLogs {
  readonly entries: LogEntry[] = [];
  readonly #limit: number;
  #bytes = 0;
  #truncated = false;
  #sealed = false;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Log bytes counted so far; all of them once the cap was reached. */
  get bytes(): number {
    return this.#truncated ? this.#limit : this.#bytes;
  }

  /** The entries have been handed to the caller: later lines are still counted, but no longer added to them. */
  seal(): void {
    this.#sealed = true;
  }

  /** Keeps `entry`, or the marker that replaces it; returns what was kept, if anything. */
  add(entry: LogEntry): LogEntry | undefined {
    if (this.#truncated) return undefined;
    const bytes = Buffer.byteLength(entry.message);
    if (this.#bytes + bytes <= this.#limit) {
      this.#bytes += bytes;
      if (!this.#sealed) this.entries.push(entry);
      return entry;
    }
    this.#truncated = true;
    const marker: LogEntry = {
      level: 'warn',
      message: `[truncated: this invocation's logs exceeded ${this.#limit} bytes (maxLogBytes)]`,
      time: entry.time,
    };
    if (!this.#sealed) this.entries.push(marker);
    return marker;
  }
}

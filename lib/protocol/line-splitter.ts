const NEWLINE = 0x0a;

/**
 * Splits a byte stream into NDJSON lines. It works on bytes, not strings, so a
 * multi-byte UTF-8 character split across chunks is decoded only once whole.
 * A line longer than `maxLineBytes` is reported through `onOverflow` and the
 * splitter stops: the peer is broken or hostile, and nothing after it can be
 * trusted to be framed correctly.
 */
export class LineSplitter {
  readonly #maxLineBytes: number;
  readonly #onLine: (line: string) => void;
  readonly #onOverflow: (bytes: number) => void;
  readonly #decode: (bytes: Buffer) => string;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #stopped = false;

  /** `decode` turns a whole line's bytes into text; UTF-8 by default. */
  constructor(
    maxLineBytes: number,
    onLine: (line: string) => void,
    onOverflow: (bytes: number) => void,
    decode: (bytes: Buffer) => string = (bytes) => bytes.toString('utf8'),
  ) {
    this.#maxLineBytes = maxLineBytes;
    this.#onLine = onLine;
    this.#onOverflow = onOverflow;
    this.#decode = decode;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (!this.#stopped) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end === -1) {
        this.#keep(chunk.subarray(start));
        return;
      }
      const piece = chunk.subarray(start, end);
      if (this.#pendingBytes + piece.length > this.#maxLineBytes) {
        this.#overflow(this.#pendingBytes + piece.length);
        return;
      }
      let line: string;
      if (this.#pending.length === 0) {
        line = this.#decode(piece);
      } else {
        this.#pending.push(piece);
        const whole = Buffer.concat(this.#pending, this.#pendingBytes + piece.length);
        // The parts are garbage before the text is made: a decoder may collect them.
        this.#pending = [];
        this.#pendingBytes = 0;
        line = this.#decode(whole);
      }
      start = end + 1;
      if (line.length > 0) this.#onLine(line);
    }
  }

  /** Bytes received after the last newline (a worker that died mid-message). */
  get bufferedBytes(): number {
    return this.#pendingBytes;
  }

  stop(): void {
    this.#stopped = true;
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  #keep(rest: Buffer): void {
    if (rest.length === 0) return;
    if (this.#pendingBytes + rest.length > this.#maxLineBytes) {
      this.#overflow(this.#pendingBytes + rest.length);
      return;
    }
    // Copy: the caller may reuse the chunk's memory once push() returns.
    this.#pending.push(Buffer.from(rest));
    this.#pendingBytes += rest.length;
  }

  #overflow(bytes: number): void {
    this.stop();
    this.#onOverflow(bytes);
  }
}

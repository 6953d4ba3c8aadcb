/**
 * Turns what a worker prints on stdout/stderr into log lines. Output is never
 * protocol: a line that looks like a message is just text here. Lines longer
 * than `maxLineBytes` are cut so a handler printing without newlines cannot
 * make the host buffer without bound.
 */
export class OutputCapture {
  readonly #maxLineBytes: number;
  readonly #onLine: (level: 'log' | 'error', line: string) => void;
  readonly #carry = { log: '', error: '' };

  constructor(maxLineBytes: number, onLine: (level: 'log' | 'error', line: string) => void) {
    this.#maxLineBytes = maxLineBytes;
    this.#onLine = onLine;
  }

  push(level: 'log' | 'error', chunk: Buffer): void {
    let text = this.#carry[level] + chunk.toString('utf8');
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      this.#emit(level, text.slice(0, newline));
      text = text.slice(newline + 1);
      newline = text.indexOf('\n');
    }
    while (text.length > this.#maxLineBytes) {
      this.#emit(level, text.slice(0, this.#maxLineBytes));
      text = text.slice(this.#maxLineBytes);
    }
    this.#carry[level] = text;
  }

  flush(): void {
    for (const level of ['log', 'error'] as const) {
      if (this.#carry[level] !== '') this.#emit(level, this.#carry[level]);
      this.#carry[level] = '';
    }
  }

  #emit(level: 'log' | 'error', line: string): void {
    const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
    this.#onLine(level, trimmed);
  }
}

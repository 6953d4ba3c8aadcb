import { readFile } from 'node:fs/promises';

const INTERVAL_MS = 50;
const PAGE_SIZE = 4096;
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Watches a worker's CPU time and resident memory from outside, through
 * /proc. Runtimes without their own interrupt (Bun) rely on it for `maxCpu`
 * and `maxMemory`; for QuickJS-NG it is the backstop. CPU is measured from
 * `resume()`, i.e. per stretch of busy time, which is per invocation at the
 * default concurrency of 1.
 */
export class Watchdog {
  readonly #pid: number;
  readonly #maxCpuMs: number;
  readonly #maxMemoryBytes: number;
  readonly #onExceeded: (kind: 'cpu' | 'memory', detail: string) => void;
  #timer: NodeJS.Timeout | undefined;
  #cpuAtResume = 0;
  #reading = false;

  constructor(pid: number, maxCpuMs: number, maxMemoryBytes: number, onExceeded: (kind: 'cpu' | 'memory', detail: string) => void) {
    this.#pid = pid;
    this.#maxCpuMs = maxCpuMs;
    this.#maxMemoryBytes = maxMemoryBytes;
    this.#onExceeded = onExceeded;
  }

  resume(): void {
    if (this.#timer !== undefined) return;
    this.#cpuAtResume = -1;
    void this.#sample();
    this.#timer = setInterval(() => void this.#sample(), INTERVAL_MS);
    this.#timer.unref();
  }

  pause(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #sample(): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    try {
      const stat = await readFile(`/proc/${this.#pid}/stat`, 'utf8');
      if (this.#timer === undefined && this.#cpuAtResume !== -1) return;
      // Fields after the command name, which is in parentheses and may contain spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
      const rssBytes = Number(fields[21]) * PAGE_SIZE;
      if (this.#cpuAtResume === -1) {
        this.#cpuAtResume = cpuMs;
        return;
      }
      const used = cpuMs - this.#cpuAtResume;
      if (this.#maxCpuMs > 0 && used > this.#maxCpuMs) {
        this.pause();
        this.#onExceeded('cpu', `${Math.round(used)} ms used`);
      } else if (this.#maxMemoryBytes > 0 && rssBytes > this.#maxMemoryBytes) {
        this.pause();
        this.#onExceeded('memory', `resident size reached ${rssBytes} bytes`);
      }
    } catch {
      // The process is gone; its exit event reports that.
    } finally {
      this.#reading = false;
    }
  }
}

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

const INTERVAL_MS = 50;
/** Ticks without work before the watchdog stops polling. */
const IDLE_TICKS = 20;
const PAGE_SIZE = 4096;
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * A process's resident size now, from /proc (0 when it cannot be read). The
 * worker is charged only for what it holds beyond its size at `ready`: the
 * runtime itself (Bun's is tens of MB, QuickJS-NG's a few) is not the handler's.
 */
export function residentBytes(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE_SIZE || 0;
  } catch {
    return 0;
  }
}

/**
 * Watches a worker's CPU time and resident memory from outside, through
 * /proc. Runtimes without their own interrupt (Bun) rely on it for `maxCpu`
 * and `maxMemory`; for QuickJS-NG it is the backstop.
 *
 * It polls on a timer rather than at each invocation, so a warm call costs no
 * system call here. CPU is added up over the ticks during which work was in
 * flight and restarts at zero with each busy stretch (`busy()`), which is per
 * invocation at the default concurrency of 1. The price is resolution: the
 * limit is noticed within about one interval of being crossed.
 */
export class Watchdog {
  readonly #pid: number;
  readonly #maxCpuMs: number;
  readonly #maxMemoryBytes: number;
  readonly #onExceeded: (kind: 'cpu' | 'memory', detail: string) => void;
  #timer: NodeJS.Timeout | undefined;
  #lastCpuMs = -1;
  #usedMs = 0;
  #busy = false;
  #idleTicks = 0;
  #reading = false;
  #stopped = false;

  readonly #baselineBytes: number;

  /** `baselineBytes`: the resident size at `ready`, allowed on top of `maxMemoryBytes`. */
  constructor(
    pid: number,
    maxCpuMs: number,
    maxMemoryBytes: number,
    onExceeded: (kind: 'cpu' | 'memory', detail: string) => void,
    baselineBytes = 0,
  ) {
    this.#pid = pid;
    this.#maxCpuMs = maxCpuMs;
    this.#maxMemoryBytes = maxMemoryBytes;
    this.#baselineBytes = baselineBytes;
    this.#onExceeded = onExceeded;
  }

  /** A busy stretch starts: CPU is counted from zero again. */
  busy(): void {
    if (this.#stopped) return;
    if (!this.#busy) this.#usedMs = 0;
    this.#busy = true;
    this.#idleTicks = 0;
    if (this.#timer === undefined) {
      this.#lastCpuMs = -1;
      this.#timer = setInterval(() => void this.#sample(), INTERVAL_MS);
      this.#timer.unref();
    }
  }

  idle(): void {
    this.#busy = false;
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #sample(): Promise<void> {
    if (this.#reading) return;
    if (!this.#busy && ++this.#idleTicks > IDLE_TICKS) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    this.#reading = true;
    try {
      const stat = await readFile(`/proc/${this.#pid}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may contain spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
      const rssBytes = Number(fields[21]) * PAGE_SIZE;
      if (this.#lastCpuMs >= 0 && this.#busy) this.#usedMs += cpuMs - this.#lastCpuMs;
      this.#lastCpuMs = cpuMs;
      if (this.#stopped) return;
      if (this.#maxCpuMs > 0 && this.#usedMs > this.#maxCpuMs) {
        this.stop();
        this.#onExceeded('cpu', `${Math.round(this.#usedMs)} ms used`);
      } else if (this.#maxMemoryBytes > 0 && rssBytes - this.#baselineBytes > this.#maxMemoryBytes) {
        this.stop();
        this.#onExceeded('memory', `resident size reached ${rssBytes} bytes, ${rssBytes - this.#baselineBytes} beyond the ${this.#baselineBytes} at start`);
      }
    } catch {
      // The process is gone; its exit event reports that.
    } finally {
      this.#reading = false;
    }
  }
}

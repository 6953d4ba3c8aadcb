import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

const INTERVAL_MS = 50;
/** Quiet samples (no CPU used) after which a worker with nothing in flight is sampled slowly. */
const QUIET_TICKS = 20;
/** Sampling interval while nothing is in flight and the worker is quiet, until its leftover work's deadline. */
const SLOW_INTERVAL_MS = 1000;
/** CPU a worker may use past the deadline of everything it was given (the runtime's own housekeeping). */
const PAST_DEADLINE_ALLOWANCE_MS = 100;
const PAGE_SIZE = 4096;
/** /proc/<pid>/stat is a few hundred bytes; the fields read here come well before this. */
const STAT_BYTES = 1024;
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

export type WatchdogBreach = 'cpu' | 'memory' | 'past-deadline';

/**
 * Watches a worker's CPU time and resident memory from outside, through
 * /proc. Runtimes without their own interrupt (Bun) rely on it for `maxCpu`
 * and `maxMemory`; for QuickJS-NG it is the backstop.
 *
 * It polls on a timer rather than at each invocation, so a warm call costs no
 * system call here. CPU is added up from the start of a busy stretch
 * (`busy()`, per invocation at the default concurrency of 1) until the next
 * one, so work a handler leaves running after its answer counts against the
 * same `maxCpu`. While nothing is in flight it keeps watching until the
 * deadline of that work (`idle(until)`), slowly once the worker is quiet;
 * CPU used past that deadline beyond a small allowance is a breach too. The
 * price is resolution: a limit is noticed within about one interval of being
 * crossed.
 */
export class Watchdog {
  readonly #pid: number;
  readonly #maxCpuMs: number;
  readonly #maxMemoryBytes: number;
  readonly #onExceeded: (kind: WatchdogBreach, detail: string) => void;
  #timer: NodeJS.Timeout | undefined;
  #lastCpuMs = -1;
  #usedMs = 0;
  #pastDeadlineMs = 0;
  #busy = false;
  /** Deadline of the leftover work of answered invocations (performance.now() ms). */
  #until = 0;
  #quietTicks = 0;
  #stopped = false;
  readonly #statBuffer = Buffer.allocUnsafe(STAT_BYTES);

  readonly #baselineBytes: number;

  /** `baselineBytes`: the resident size at `ready`, allowed on top of `maxMemoryBytes`. */
  constructor(
    pid: number,
    maxCpuMs: number,
    maxMemoryBytes: number,
    onExceeded: (kind: WatchdogBreach, detail: string) => void,
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
    if (!this.#busy) {
      this.#usedMs = 0;
      this.#pastDeadlineMs = 0;
    }
    this.#busy = true;
    this.#quietTicks = 0;
    if (this.#slow) {
      // Sampling slowly while idle: look at the new work at the usual rate.
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#timer === undefined) {
      if (this.#slow === undefined) this.#lastCpuMs = -1;
      this.#schedule(INTERVAL_MS);
    }
  }

  /** Nothing is in flight; work left behind may run until `until` (performance.now() ms; Infinity: no deadline). */
  idle(until: number): void {
    this.#busy = false;
    this.#until = until;
    this.#quietTicks = 0;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Read synchronously: a /proc file never waits for a disk, and
   * fs/promises' readFile took four trips through the thread pool, each with
   * its promise, which showed in the host's CPU profile under load. The
   * descriptor is not kept between samples: a host with many workers near
   * its descriptor limit needs them more.
   */
  #readStat(): string {
    const fd = openSync(`/proc/${this.#pid}/stat`, 'r');
    try {
      const n = readSync(fd, this.#statBuffer, 0, STAT_BYTES, 0);
      return this.#statBuffer.toString('latin1', 0, n);
    } finally {
      closeSync(fd);
    }
  }

  /** undefined: asleep (not sampling); false: sampling at the usual rate; true: slowly. */
  #slow: boolean | undefined;

  #schedule(ms: number | undefined): void {
    this.#slow = ms === undefined ? undefined : ms === SLOW_INTERVAL_MS;
    if (ms === undefined) return;
    this.#timer = setTimeout(() => this.#sample(), ms);
    this.#timer.unref();
  }

  #sample(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    let next: number | undefined = INTERVAL_MS;
    try {
      const stat = this.#readStat();
      // Fields after the command name, which is in parentheses and may contain spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
      const rssBytes = Number(fields[21]) * PAGE_SIZE;
      const grew = this.#lastCpuMs >= 0 ? cpuMs - this.#lastCpuMs : 0;
      this.#lastCpuMs = cpuMs;
      if (this.#stopped) return;
      this.#usedMs += grew;
      const pastDeadline = !this.#busy && performance.now() > this.#until;
      if (pastDeadline) this.#pastDeadlineMs += grew;
      this.#quietTicks = grew > 0 ? 0 : this.#quietTicks + 1;
      if (this.#maxCpuMs > 0 && this.#usedMs > this.#maxCpuMs) {
        this.stop();
        this.#onExceeded('cpu', `${Math.round(this.#usedMs)} ms used`);
      } else if (this.#maxMemoryBytes > 0 && rssBytes - this.#baselineBytes > this.#maxMemoryBytes) {
        this.stop();
        this.#onExceeded('memory', `resident size reached ${rssBytes} bytes, ${rssBytes - this.#baselineBytes} beyond the ${this.#baselineBytes} at start`);
      } else if (this.#pastDeadlineMs > PAST_DEADLINE_ALLOWANCE_MS) {
        this.stop();
        this.#onExceeded('past-deadline', `${Math.round(this.#pastDeadlineMs)} ms of CPU used past the deadline of everything it was given`);
      } else if (!this.#busy && this.#quietTicks >= QUIET_TICKS) {
        // Quiet and idle: look now and then until the leftover work's deadline, then sleep until the next busy().
        next = pastDeadline ? undefined : SLOW_INTERVAL_MS;
      }
    } catch (error) {
      // The process is gone (its exit event reports that); anything else (out of descriptors) is tried again.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ESRCH') next = undefined;
    }
    if (!this.#stopped) this.#schedule(next);
  }
}

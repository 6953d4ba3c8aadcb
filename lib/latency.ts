const WINDOW = 1024;

/** Keeps the latest invocation latencies and answers percentiles over them. */
export class LatencyWindow {
  readonly #samples = new Float64Array(WINDOW);
  #count = 0;

  add(ms: number): void {
    this.#samples[this.#count % WINDOW] = ms;
    this.#count++;
  }

  summary(): { count: number; p50: number; p90: number; p99: number; max: number } {
    const n = Math.min(this.#count, WINDOW);
    if (n === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0 };
    const sorted = this.#samples.slice(0, n).sort();
    const at = (q: number): number => sorted[Math.min(n - 1, Math.floor(q * n))] ?? 0;
    return { count: this.#count, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[n - 1] ?? 0 };
  }
}

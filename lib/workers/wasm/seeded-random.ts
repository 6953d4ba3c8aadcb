/**
 * A deterministic byte source for the unit-test sandbox's seeded
 * `Math.random` and `crypto.getRandomValues` (sfc32: small, fast, and good
 * enough for tests; never for secrets, which is why it is opt-in).
 */
export class SeededRandom {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.#next();
  }

  fill(out: Uint8Array): void {
    for (let i = 0; i < out.length; i += 4) {
      const n = this.#next();
      for (let k = 0; k < 4 && i + k < out.length; k++) out[i + k] = (n >>> (k * 8)) & 0xff;
    }
  }

  #next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }
}

/**
 * Values by a non-negative integer id, for tables that gain an entry and lose
 * one on every call: the invocations in flight, the calls running.
 *
 * A Map or Set there made the host's young-generation collections promote
 * about a quarter of everything allocated per call, so that at high call rates
 * most of the host's CPU went to garbage collection. V8 links each table a Map
 * outgrows or compacts to the next one (live iterators follow the link); once
 * one of them has been promoted, that chain keeps every later table, and all
 * they held, alive until a full collection. A plain object's integer keys live
 * in a dictionary that is replaced without such a link.
 */
export class IdTable<T> {
  #entries: Record<number, T> = Object.create(null) as Record<number, T>;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(id: number): T | undefined {
    return this.#entries[id];
  }

  set(id: number, value: T): void {
    if (!(id in this.#entries)) this.#size++;
    this.#entries[id] = value;
  }

  delete(id: number): boolean {
    if (!(id in this.#entries)) return false;
    delete this.#entries[id];
    this.#size--;
    return true;
  }

  /** The lowest id, or undefined when empty. */
  firstId(): number | undefined {
    for (const key in this.#entries) return Number(key);
    return undefined;
  }

  /** Every value, in ascending id order (a walk over the keys: not for the per-call path). */
  values(): T[] {
    return Object.values(this.#entries);
  }

  /** Every [id, value] pair, in ascending id order (not for the per-call path). */
  entries(): [number, T][] {
    return Object.entries(this.#entries).map(([key, value]) => [Number(key), value]);
  }

  clear(): void {
    this.#entries = Object.create(null) as Record<number, T>;
    this.#size = 0;
  }
}

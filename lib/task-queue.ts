/**
 * FIFO of tasks waiting for a worker (never undefined). An array with a moving head, not a Set:
 * a Set that gains and loses an entry per call keeps a chain of its old
 * tables alive in V8 (see id-table.ts). Removing a cancelled task looks for
 * it, which costs up to the queue's length; cancellations are rare next to
 * the calls that pass through.
 */
export class TaskQueue<T> {
  /** Waiting items from #head on; cancelled ones are holes. */
  #items: (T | undefined)[] = [];
  #head = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    this.#items.push(item);
    this.#size++;
  }

  shift(): T | undefined {
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head];
      this.#items[this.#head++] = undefined;
      if (item !== undefined) {
        this.#size--;
        this.#compact();
        return item;
      }
    }
    this.#compact();
    return undefined;
  }

  remove(item: T): boolean {
    const at = this.#items.indexOf(item, this.#head);
    if (at === -1) return false;
    this.#items[at] = undefined;
    this.#size--;
    return true;
  }

  drain(): T[] {
    const all = this.#items.slice(this.#head).filter((item): item is T => item !== undefined);
    this.#items = [];
    this.#head = 0;
    this.#size = 0;
    return all;
  }

  /** Drops the consumed front: at once when nothing waits, else once it is most of the array. */
  #compact(): void {
    if (this.#size === 0) {
      if (this.#items.length > 0) this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}

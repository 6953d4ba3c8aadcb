/** FIFO of tasks waiting for a worker, with O(1) removal of a cancelled task. */
export class TaskQueue<T> {
  readonly #items = new Set<T>();

  get size(): number {
    return this.#items.size;
  }

  push(item: T): void {
    this.#items.add(item);
  }

  shift(): T | undefined {
    const first = this.#items.values().next();
    if (first.done === true) return undefined;
    this.#items.delete(first.value);
    return first.value;
  }

  remove(item: T): boolean {
    return this.#items.delete(item);
  }

  drain(): T[] {
    const all = [...this.#items];
    this.#items.clear();
    return all;
  }
}

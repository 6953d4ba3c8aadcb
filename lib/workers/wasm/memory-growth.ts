/**
 * The thread's WebAssembly memory, with a say on every growth.
 *
 * This engine build does not hold a runtime to `setMemoryLimit`: allocations
 * below the limit each pass however many there are (a runtime reached 200 MB
 * under a 64 MB limit), and strings are not counted in its memory figures at
 * all. The interrupt handler that measures the heap runs only every few
 * thousand engine ticks, and a handful of ticks can allocate hundreds of
 * megabytes (`new Array(1e6).fill(0)` in a loop). Every sandbox of a thread
 * lives in one WebAssembly memory, which never shrinks, inside the host
 * process: unbounded, one tenant could grow the host by up to 2 GB per thread.
 *
 * Growing the memory is the one step every such allocation takes once the
 * heap's free space is used up, so the sandbox running at that moment is
 * charged for it, and refused once its charges would pass its maxMemory:
 * the allocator then fails, and the engine throws "out of memory" in the
 * handler. The charge includes the allocator's overgrowth (it asks for 5 to
 * 20% more than it needs, at most 96 MB more), so on a thread whose heap is
 * already large a sandbox may be refused before its own objects reach
 * maxMemory: it fails closed.
 */

/** What the thread's memory asks of the sandbox running when it must grow. */
export interface GrowthPayer {
  /** True to let the memory grow by `bytes` on this sandbox's account. */
  chargeGrowth(bytes: number): boolean;
}

const PAGE = 65536;
/** As the engine's build declares its memory: 16 MB to start, 2 GB at most. */
const INITIAL_PAGES = (16 * 1024 * 1024) / PAGE;
const MAXIMUM_PAGES = 32768;

let payer: GrowthPayer | undefined;

/** Sets who pays for growth from now on (undefined: the library's own code, never refused). */
export function setGrowthPayer(next: GrowthPayer | undefined): void {
  payer = next;
}

/** Who pays for growth now. */
export function growthPayer(): GrowthPayer | undefined {
  return payer;
}

/**
 * A memory for the engine's module whose `grow` asks the current payer first.
 * The engine's glue calls `memory.grow` inside a try/catch and treats a throw
 * as "no more memory", so a refusal is an ordinary failed allocation.
 */
export function guardedMemory(): WebAssembly.Memory {
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES });
  const grow = WebAssembly.Memory.prototype.grow;
  Object.defineProperty(memory, 'grow', {
    value: (pages: number): number => {
      if (payer !== undefined && !payer.chargeGrowth(pages * PAGE)) {
        throw new RangeError('quickjs-wasm: the sandbox reached its maxMemory');
      }
      return grow.call(memory, pages);
    },
  });
  return memory;
}

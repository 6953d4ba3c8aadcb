/**
 * getrusage(RUSAGE_SELF), for the invocations' cpuMs and peakMemoryBytes. The
 * kernel sums it over every thread of the process (Bun runs about ten), and
 * two readings per call were a tenth of a busy worker's CPU. The invocations
 * that start in one synchronous run (the requests of one read) count from one
 * reading, taken as the first of them starts; the answers that leave in one
 * write count to one reading, taken as it is written (bun.ts). At concurrency
 * above 1 the figure is the process's CPU over the invocation, its neighbours'
 * work included, so sharing the start moves it by at most the synchronous
 * work of the invocations started before it in that run.
 */
let atStart: NodeJS.ResourceUsage | undefined;

/** Taken before the handler loads: a handler may replace process.resourceUsage or queueMicrotask. */
export const readUsage: () => NodeJS.ResourceUsage = process.resourceUsage.bind(process);
const enqueue = queueMicrotask;

function forgetStart(): void {
  atStart = undefined;
}

/** The reading an invocation starting now counts from. */
export function usageAtStart(): NodeJS.ResourceUsage {
  if (atStart === undefined) {
    atStart = readUsage();
    // Before any answer: a promise job cannot run inside the run that starts invocations.
    enqueue(forgetStart);
  }
  return atStart;
}

/** CPU milliseconds between two readings. */
export function cpuMsBetween(before: NodeJS.ResourceUsage, after: NodeJS.ResourceUsage): number {
  return (after.userCPUTime - before.userCPUTime + after.systemCPUTime - before.systemCPUTime) / 1000;
}

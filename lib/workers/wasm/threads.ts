import { availableParallelism } from 'node:os';
import type { MessagePort } from 'node:worker_threads';
import Tinypool from 'tinypool';
import type { SandboxTask } from './messages.js';

/** Threads idle this long are stopped; the next sandbox starts one again. */
const IDLE_THREAD_MS = 30_000;

/**
 * The thread's own stack, for the engine's C code compiled to WebAssembly.
 * QuickJS-NG's stack limit (sandbox.ts MAX_STACK_BYTES) counts only the
 * WebAssembly build's memory stack, and some of its recursions (JSON.parse
 * and JSON.stringify of deeply nested values) use far more of the thread's
 * stack per level than of that one: with Node's 4 MB default, a 100,000-deep
 * JSON.parse overflowed the thread's stack before the engine's limit was
 * reached, and the RangeError ended the thread and every other pool's
 * sandbox on it. With this much, the engine's own limit comes first and the
 * handler gets its RangeError. It is address space, used only as deep as a
 * handler recurses.
 */
const THREAD_STACK_MB = 16;

let threads: Tinypool | undefined;
let gate: Promise<void> = Promise.resolve();

/**
 * The process's quickjs-wasm threads, shared by every pool. A thread costs
 * tens of milliseconds to start and a sandbox well under that, so threads
 * belong to the process: creating a pool starts none, and a sandbox is a
 * long-running task on the least busy thread (see thread.ts).
 */
function sandboxThreads(): Tinypool {
  if (threads !== undefined) return threads;
  threads = new Tinypool({
    filename: new URL('./thread.js', import.meta.url).href,
    minThreads: 0,
    maxThreads: availableParallelism(),
    // Sandboxes wait for messages most of the time; a thread holds as many as there are.
    concurrentTasksPerWorker: Number.MAX_SAFE_INTEGER,
    idleTimeout: IDLE_THREAD_MS,
    // Tinypool's Atomics.wait loop would block a thread whose sandboxes are all idle.
    useAtomics: false,
    resourceLimits: { stackSizeMb: THREAD_STACK_MB },
  });
  // tinypool reports on itself what it cannot pin on a task: a thread that
  // failed with no task on it, or a message from a thread it already stopped
  // (a sandbox that ended while the thread was being terminated). Each
  // sandbox hears of its own end through its task and its port; unheard,
  // such an 'error' event would throw and take the host process down.
  threads.on('error', noop);
  return threads;
}

/**
 * Runs a sandbox on the least busy thread; settles when the sandbox ends.
 * Starts go one at a time, each waiting until the one before is
 * `dispatched` (runs on a thread): tinypool hands a queued task to a thread
 * only when a thread becomes ready or finishes a task, one task each time,
 * and sandbox tasks never finish while their sandbox lives, so a second
 * queued sandbox would wait forever. With one start in flight, at most one
 * task is ever queued, and a thread that becomes ready takes it.
 */
export function startSandbox(task: SandboxTask & { port: MessagePort }, dispatched: Promise<void>): Promise<void> {
  const run = gate.then(() => sandboxThreads().run(task, { transferList: [task.port] }) as Promise<void>);
  gate = Promise.race([dispatched, run.then(noop, noop)]);
  return run;
}

function noop(): void {}

/**
 * Stops one thread, the last resort when a sandbox no longer reaches its
 * interrupt checks (a single long native operation). Every sandbox on the
 * thread goes with it; tinypool replaces the thread on demand.
 */
export function stopThread(threadId: number): void {
  const thread = threads?.threads.find((t) => t.threadId === threadId);
  // Reported as the thread's error, tinypool's own path for a failed thread: it is terminated and forgotten.
  thread?.emit('error', new Error(`quickjs-wasm thread ${threadId} stopped: a sandbox on it stopped answering`));
}

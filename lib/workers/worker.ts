import type { EventEmitter } from 'eventemitter3';
import type { Capabilities } from '../capabilities/index.js';
import type { FunctionsError } from '../errors.js';
import type { FetchArgs, HeaderPairs, LogLevel, DeniableCapability } from '../protocol/index.js';
import type { ResolvedPoolOptions } from '../options.js';

export type RuntimeName = 'quickjs-ng' | 'bun' | 'quickjs-wasm';

/** A request as it travels to a worker. */
export interface WireRequest {
  method: string;
  url: string;
  headers: HeaderPairs;
  body: Uint8Array | null;
}

export interface LogEntry {
  level: LogLevel;
  message: string;
  /** Milliseconds since the epoch. */
  time: number;
}

export interface Denial {
  capability: DeniableCapability;
  target: string;
  rule: string;
}

/** What a worker reported in `ready`. */
export interface ReadyInfo {
  runtime: string;
  version: string;
  pid: number;
  features: string[];
  /** State of each OS fence layer: `on`, `off`, `unavailable`, `error`. */
  sandbox: Record<string, string | number | boolean>;
  /** Milliseconds from spawn to `ready`. */
  startMs: number;
}

export interface WorkerResult {
  status: number;
  statusText: string;
  headers: HeaderPairs;
  body: Uint8Array;
  logs: LogEntry[];
  cpuMs: number;
  peakMemoryBytes: number;
  denials: number;
  coldStart: boolean;
}

/** How an invocation's end reaches the pool: its result, or the error it failed with. */
export type InvocationDone = (outcome: WorkerResult | FunctionsError) => void;

export interface InvokeOptions {
  /** The pool's id for this invocation; larger than every id sent to this worker before. */
  invocationId: number;
  /** Wall-clock budget left for this invocation in ms; 0 = none. */
  timeoutMs: number;
  /**
   * The caller's whole deadline (queueing and start-up included). It is also
   * how long the handler may run on the worker before the worker is killed:
   * past `timeoutMs` the caller has its TIMEOUT, but a worker is only killed
   * for a handler that overran a whole deadline of its own.
   */
  deadlineMs: number;
}

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the host stopped it, when it did. */
  reason: string | undefined;
}

export type WorkerEvents = {
  log: [entry: LogEntry, invocationId: number];
  denied: [denial: Denial, invocationId: number];
  /** Emitted exactly once per worker, right after a failed start promise was rejected (listeners run before its handlers). */
  exit: [exit: WorkerExit];
  /** An invocation slot was released (answered, failed, or a cancelled one finally answered). */
  free: [];
};

/** A host call's `fetch` arguments as the host handles them: the body is bytes. */
export type HostFetchArgs = Omit<FetchArgs, 'body'> & { body: Uint8Array | null };

export interface HostFetchResult {
  status: number;
  statusText: string;
  url: string;
  redirected: boolean;
  headers: HeaderPairs;
  body: Uint8Array;
}

/** Performs host calls (`fetch`) for a worker, with the pool's profile. */
export type HostCallHandler = (
  args: HostFetchArgs,
  context: {
    signal: AbortSignal;
    onDenied: (denial: Denial) => void;
    /** Counts bytes the call holds in the host against its invocation's budget; false when over it. */
    charge: (bytes: number) => boolean;
  },
) => Promise<HostFetchResult>;

export interface WorkerContext {
  id: number;
  options: ResolvedPoolOptions;
  capabilities: Capabilities;
  source: string;
  filename: string;
  /** Rewrites bundle positions in worker stacks, messages and logs to the original files; absent without a source map. */
  mapStack: ((text: string) => string) | undefined;
  hostCall: HostCallHandler;
}

/**
 * One sandboxed worker process. Every runtime implements this; the pool knows
 * nothing else about them.
 */
export interface Worker extends EventEmitter<WorkerEvents> {
  readonly id: number;
  readonly runtime: RuntimeName;
  readonly pid: number | undefined;
  readonly info: ReadyInfo | undefined;
  /** Invocations sent and not yet answered (cancelled ones included, until the worker answers). */
  readonly inFlight: number;
  /** Invocations answered so far. */
  readonly served: number;
  readonly exited: boolean;
  /** Ready, and neither stopping nor holding an invocation past its deadline: it may be given new work. */
  readonly accepting: boolean;
  start(): Promise<ReadyInfo>;
  /**
   * Sends an invocation; `done` is called once, with its result or its error,
   * never synchronously from this call. A callback, not a promise: two
   * promises and their jobs per call were a visible share of the host's CPU.
   */
  invoke(request: WireRequest, options: InvokeOptions, done: InvocationDone): void;
  /** Abandons an invocation: the worker is told, `done` gets the error (`ABORTED`). */
  cancel(invocationId: number, error: FunctionsError): void;
  /**
   * Asks the worker to exit, kills it after `graceMs` (default `shutdownTimeoutMs`).
   * Resolves once it is gone. A worker always emits `exit` once, even one whose process never started.
   */
  terminate(reason?: string, graceMs?: number): Promise<void>;
  /** Moves the worker's fake clock forward (quickjs-wasm and quickjs-ng with `fakeClock`); resolves once its due timers ran. */
  advanceTime?(ms: number): Promise<void>;
}

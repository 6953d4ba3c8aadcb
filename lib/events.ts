import type { FunctionsError } from './errors.js';
import type { InvocationMetrics } from './response.js';
import type { Denial, LogEntry, ReadyInfo, RuntimeName } from './workers/worker.js';

export interface LogEvent extends LogEntry {
  projectId: string;
  workerId: number;
  /** The pool's invocation id (as on the response, the error and the `invocation` event); 0 for output outside any invocation (module top level). */
  invocationId: number;
}

export interface DenialEvent extends Denial {
  projectId: string;
  workerId: number;
  invocationId: number;
}

export interface WorkerStartEvent {
  workerId: number;
  runtime: RuntimeName;
  pid: number;
  info: ReadyInfo;
}

export interface WorkerExitEvent {
  workerId: number;
  pid: number | undefined;
  code: number | null;
  signal: string | null;
  /** Why the pool stopped it, if it did (timeout, recycling, idle, close...). */
  reason: string | undefined;
}

export interface InvocationEvent {
  /** Unique within the pool; the same id is on the response or error and on the invocation's `log` events. */
  invocationId: number;
  projectId: string;
  method: string;
  url: string;
  /** Set when the handler answered. */
  status: number | undefined;
  /** Set when the invocation failed. */
  error: FunctionsError | undefined;
  metrics: InvocationMetrics;
}

/** Events of a pool; each tuple types the listener's arguments. */
export type PoolEvents = {
  log: [event: LogEvent];
  denied: [event: DenialEvent];
  workerstart: [event: WorkerStartEvent];
  workerexit: [event: WorkerExitEvent];
  invocation: [event: InvocationEvent];
  /** Failures no caller is waiting for (a worker that cannot start while nothing is queued). */
  error: [error: FunctionsError];
};

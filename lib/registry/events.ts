import type { FunctionsError } from '../errors.js';
import type { DenialEvent, LogEvent } from '../events.js';
import type { RuntimeName } from '../workers/worker.js';
import type { PoolCloseReason } from './pool-manager.js';
import type { FunctionRecord } from './records.js';

export interface PoolOpenEvent {
  functionId: string;
  projectId: string;
  runtime: RuntimeName;
  version: number;
}

export interface PoolCloseEvent {
  functionId: string;
  projectId: string;
  /** `idle` (unused for `idlePoolMs`), `evicted` (room for another pool), `replaced` (new version or capabilities), `removed`, `closed`. */
  reason: PoolCloseReason;
}

/** Events of a registry; each tuple types the listener's arguments. */
export type RegistryEvents = {
  register: [record: FunctionRecord];
  deploy: [record: FunctionRecord];
  rollback: [record: FunctionRecord];
  capabilities: [record: FunctionRecord];
  remove: [functionId: string];
  /** `refresh()` found a change another process made: the new record, or undefined when it removed the function. */
  external: [functionId: string, record: FunctionRecord | undefined];
  poolopen: [event: PoolOpenEvent];
  poolclose: [event: PoolCloseEvent];
  log: [event: LogEvent & { functionId: string }];
  denied: [event: DenialEvent & { functionId: string }];
  /** Failures no caller is waiting for, e.g. a worker of an idle pool that could not start, or a `watchMs` refresh that failed (functionId `''`). */
  error: [error: FunctionsError, functionId: string];
};

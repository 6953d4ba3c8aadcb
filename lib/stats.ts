import type { ErrorCode } from './errors.js';
import type { RuntimeName } from './workers/worker.js';

/** A snapshot returned by `pool.stats()`. */
export interface PoolStats {
  runtime: RuntimeName;
  projectId: string;
  closed: boolean;
  workers: { total: number; starting: number; ready: number; busy: number; idle: number };
  queued: number;
  inFlight: number;
  invocations: { total: number; succeeded: number; failed: number; byCode: Partial<Record<ErrorCode, number>> };
  /** Workers that served their first invocation. */
  coldStarts: number;
  workersStarted: number;
  workersExited: number;
  startFailures: number;
  /** Host-side wall time of the latest 1024 invocations. */
  latencyMs: { count: number; p50: number; p90: number; p99: number; max: number };
  runtimeVersion: string | undefined;
  /** Optional APIs present in the sandbox (`fetch`, `fs`, `eval`, `child_process`). */
  features: string[];
  /** State of each OS fence layer as the latest worker reported it. Empty until the fence exists. */
  sandbox: Record<string, string | number | boolean>;
  pids: number[];
}

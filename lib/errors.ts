import type { InvocationMetrics } from './response.js';
import type { LogEntry } from './workers/worker.js';

/**
 * Every failure the library reports is a `FunctionsError` with a stable string
 * `code`. Match on `error.code`, not on `instanceof`: codes are the contract,
 * classes may gain intermediate parents.
 */
export type ErrorCode =
  | 'HANDLER_ERROR'
  | 'TIMEOUT'
  | 'CPU_LIMIT'
  | 'MEMORY_LIMIT'
  | 'WORKER_CRASHED'
  | 'CAPABILITY_DENIED'
  | 'INVALID_CAPABILITIES'
  | 'INVALID_OPTIONS'
  | 'INVALID_REQUEST'
  | 'BUNDLE_LOAD_ERROR'
  | 'BUNDLE_TOO_LARGE'
  | 'BUILD_TIMEOUT'
  | 'QUEUE_FULL'
  | 'POOL_CLOSED'
  | 'PROTOCOL_ERROR'
  | 'RUNTIME_UNAVAILABLE'
  | 'SANDBOX_UNAVAILABLE'
  | 'ABORTED'
  | 'BODY_TOO_LARGE'
  | 'RESPONSE_TOO_LARGE'
  | 'FETCH_CONCURRENCY_LIMIT'
  | 'FETCH_BUFFER_LIMIT'
  | 'HOST_SOCKETS_EXHAUSTED'
  | 'RESOURCE_EXHAUSTED'
  | 'FUNCTION_NOT_FOUND'
  | 'FUNCTION_EXISTS'
  | 'QUOTA_EXCEEDED';

export interface FunctionsErrorOptions {
  cause?: unknown;
  /** The stack of the error inside the worker, when it came from there. */
  workerStack?: string | undefined;
  /** Name of the error class inside the worker (`TypeError`, ...). */
  workerName?: string | undefined;
}

export class FunctionsError extends Error {
  readonly code: ErrorCode;
  readonly workerStack: string | undefined;
  readonly workerName: string | undefined;
  /**
   * The pool's id of the invocation this error ended, the same id its
   * `invocation` and `log` events carry. Undefined for errors outside any
   * invocation (`createPool`, `ready()`, the pool's `error` event).
   */
  readonly invocationId: number | undefined = undefined;
  /** What the handler logged before it failed, as `response.logs` would have held it. Default `[]`. */
  readonly logs: readonly LogEntry[] = [];
  /** The invocation's figures up to the failure (`cpuMs` and `peakMemoryBytes` are 0 when the worker never reported them). */
  readonly metrics: InvocationMetrics | undefined = undefined;

  constructor(code: ErrorCode, message: string, options: FunctionsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FunctionsError';
    this.code = code;
    this.workerStack = options.workerStack;
    this.workerName = options.workerName;
  }
}

/** One issue found while validating options or capabilities. */
export interface ValidationIssue {
  /** Dotted path of the offending field, e.g. `allowedPaths.0`. */
  path: string;
  message: string;
}

export class HandlerError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('HANDLER_ERROR', message, options);
    this.name = 'HandlerError';
  }
}

export class TimeoutError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('TIMEOUT', message, options);
    this.name = 'TimeoutError';
  }
}

export class CpuLimitError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('CPU_LIMIT', message, options);
    this.name = 'CpuLimitError';
  }
}

export class MemoryLimitError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('MEMORY_LIMIT', message, options);
    this.name = 'MemoryLimitError';
  }
}

export class WorkerCrashedError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('WORKER_CRASHED', message, options);
    this.name = 'WorkerCrashedError';
  }
}

export class CapabilityDeniedError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('CAPABILITY_DENIED', message, options);
    this.name = 'CapabilityDeniedError';
  }
}

export class InvalidCapabilitiesError extends FunctionsError {
  readonly issues: readonly ValidationIssue[];
  constructor(message: string, issues: readonly ValidationIssue[], options?: FunctionsErrorOptions) {
    super('INVALID_CAPABILITIES', message, options);
    this.name = 'InvalidCapabilitiesError';
    this.issues = issues;
  }
}

export class InvalidOptionsError extends FunctionsError {
  readonly issues: readonly ValidationIssue[];
  constructor(message: string, issues: readonly ValidationIssue[], options?: FunctionsErrorOptions) {
    super('INVALID_OPTIONS', message, options);
    this.name = 'InvalidOptionsError';
    this.issues = issues;
  }
}

export class InvalidRequestError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('INVALID_REQUEST', message, options);
    this.name = 'InvalidRequestError';
  }
}

export class BundleLoadError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('BUNDLE_LOAD_ERROR', message, options);
    this.name = 'BundleLoadError';
  }
}

/** The bundle built from `source.entry` is larger than `maxBundleBytes`. */
export class BundleTooLargeError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('BUNDLE_TOO_LARGE', message, options);
    this.name = 'BundleTooLargeError';
  }
}

/** Bundling `source.entry` took longer than `buildTimeoutMs`. */
export class BuildTimeoutError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('BUILD_TIMEOUT', message, options);
    this.name = 'BuildTimeoutError';
  }
}

export class QueueFullError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('QUEUE_FULL', message, options);
    this.name = 'QueueFullError';
  }
}

export class PoolClosedError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('POOL_CLOSED', message, options);
    this.name = 'PoolClosedError';
  }
}

export class ProtocolError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('PROTOCOL_ERROR', message, options);
    this.name = 'ProtocolError';
  }
}

export class RuntimeUnavailableError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('RUNTIME_UNAVAILABLE', message, options);
    this.name = 'RuntimeUnavailableError';
  }
}

export class SandboxUnavailableError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('SANDBOX_UNAVAILABLE', message, options);
    this.name = 'SandboxUnavailableError';
  }
}

export class AbortedError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('ABORTED', message, options);
    this.name = 'AbortedError';
  }
}

export class BodyTooLargeError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('BODY_TOO_LARGE', message, options);
    this.name = 'BodyTooLargeError';
  }
}

export class ResponseTooLargeError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('RESPONSE_TOO_LARGE', message, options);
    this.name = 'ResponseTooLargeError';
  }
}

/** A handler has more host fetches in flight than `hostFetch.maxConcurrentPerInvocation` or `…PerWorker` allow. */
export class FetchConcurrencyLimitError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('FETCH_CONCURRENCY_LIMIT', message, options);
    this.name = 'FetchConcurrencyLimitError';
  }
}

/** An invocation's host fetches together hold more bytes in the host than `hostFetch.maxBufferedBytes`. */
export class FetchBufferLimitError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('FETCH_BUFFER_LIMIT', message, options);
    this.name = 'FetchBufferLimitError';
  }
}

/** The host has no outbound socket to spare: `hostFetch.maxSockets` reached, or the OS said EMFILE/ENFILE. */
export class HostSocketsExhaustedError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('HOST_SOCKETS_EXHAUSTED', message, options);
    this.name = 'HostSocketsExhaustedError';
  }
}

/**
 * The host ran out of a system resource (descriptors, processes, memory, disk)
 * while starting a worker, or would have: a worker is refused before it could
 * take the host past its descriptor limit. The pool stays usable and starts
 * workers again once the resource is free; retry later, or raise the limit
 * (`ulimit -n`) or lower `maxWorkers`.
 */
export class ResourceExhaustedError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('RESOURCE_EXHAUSTED', message, options);
    this.name = 'ResourceExhaustedError';
  }
}

/** The registry has no function (or no kept version) under that id or name. */
export class FunctionNotFoundError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('FUNCTION_NOT_FOUND', message, options);
    this.name = 'FunctionNotFoundError';
  }
}

/** A registered function already uses that id, or that name within the project. */
export class FunctionExistsError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('FUNCTION_EXISTS', message, options);
    this.name = 'FunctionExistsError';
  }
}

/** The project already runs as many invocations as its concurrency quota allows. */
export class QuotaExceededError extends FunctionsError {
  constructor(message: string, options?: FunctionsErrorOptions) {
    super('QUOTA_EXCEEDED', message, options);
    this.name = 'QuotaExceededError';
  }
}

const CONSTRUCTORS: Record<ErrorCode, new (message: string, options?: FunctionsErrorOptions) => FunctionsError> = {
  HANDLER_ERROR: HandlerError,
  TIMEOUT: TimeoutError,
  CPU_LIMIT: CpuLimitError,
  MEMORY_LIMIT: MemoryLimitError,
  WORKER_CRASHED: WorkerCrashedError,
  CAPABILITY_DENIED: CapabilityDeniedError,
  INVALID_CAPABILITIES: class extends InvalidCapabilitiesError {
    constructor(message: string, options?: FunctionsErrorOptions) {
      super(message, [], options);
    }
  },
  INVALID_OPTIONS: class extends InvalidOptionsError {
    constructor(message: string, options?: FunctionsErrorOptions) {
      super(message, [], options);
    }
  },
  INVALID_REQUEST: InvalidRequestError,
  BUNDLE_LOAD_ERROR: BundleLoadError,
  BUNDLE_TOO_LARGE: BundleTooLargeError,
  BUILD_TIMEOUT: BuildTimeoutError,
  QUEUE_FULL: QueueFullError,
  POOL_CLOSED: PoolClosedError,
  PROTOCOL_ERROR: ProtocolError,
  RUNTIME_UNAVAILABLE: RuntimeUnavailableError,
  SANDBOX_UNAVAILABLE: SandboxUnavailableError,
  ABORTED: AbortedError,
  BODY_TOO_LARGE: BodyTooLargeError,
  FETCH_CONCURRENCY_LIMIT: FetchConcurrencyLimitError,
  FETCH_BUFFER_LIMIT: FetchBufferLimitError,
  HOST_SOCKETS_EXHAUSTED: HostSocketsExhaustedError,
  RESPONSE_TOO_LARGE: ResponseTooLargeError,
  RESOURCE_EXHAUSTED: ResourceExhaustedError,
  FUNCTION_NOT_FOUND: FunctionNotFoundError,
  FUNCTION_EXISTS: FunctionExistsError,
  QUOTA_EXCEEDED: QuotaExceededError,
};

/** Builds the error class that belongs to `code` (used for errors that crossed the worker boundary as data). */
export function createError(code: ErrorCode, message: string, options?: FunctionsErrorOptions): FunctionsError {
  const error = new CONSTRUCTORS[code](message, options);
  // The stack starts at whoever asked for the error, not in this factory.
  Error.captureStackTrace(error, createError);
  return error;
}

/** What `withInvocation` attaches to an error. */
export interface InvocationDetails {
  invocationId: number;
  logs?: readonly LogEntry[];
  metrics?: InvocationMetrics;
}

/** A fresh error of the same class and message, with `error` as its cause. */
export function copyError(error: FunctionsError): FunctionsError {
  const copy = new CONSTRUCTORS[error.code](error.message, {
    cause: error,
    workerStack: error.workerStack,
    workerName: error.workerName,
  });
  if (error.stack !== undefined) copy.stack = error.stack;
  return copy;
}

/**
 * Ties `error` to the invocation it ended. One error can end several
 * invocations (a worker that broke the protocol, a bundle that never loads):
 * each then gets its own copy, so no invocation reports another one's id,
 * logs or figures.
 */
export function withInvocation(error: FunctionsError, details: InvocationDetails): FunctionsError {
  const own = error.invocationId === undefined || error.invocationId === details.invocationId ? error : copyError(error);
  const target = own as { -readonly [K in keyof FunctionsError]: FunctionsError[K] };
  target.invocationId = details.invocationId;
  if (details.logs !== undefined) target.logs = details.logs;
  if (details.metrics !== undefined) target.metrics = details.metrics;
  return own;
}

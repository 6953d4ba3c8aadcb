import type { FunctionsError } from '../errors.js';
import type { DeniableCapability, HeaderPairs, LogLevel, WorkerErrorCode } from '../protocol/index.js';
import type { PolledChannel } from './spin-wait.js';
import type { HostFetchArgs, HostFetchResult, ReadyInfo } from './worker.js';

/**
 * The transport contract: how an `InvocationSession` (session.ts) reaches its
 * worker. A transport carries messages and owns the worker's life (start,
 * stop, kill); it knows nothing of invocations. It is the only thing a new
 * way of running workers has to write: a child process on descriptor 3
 * (process-transport.ts), a sandbox on a tinypool thread
 * (wasm/thread-transport.ts).
 *
 * Rules every transport keeps:
 * - Messages are the protocol's (docs/protocol.md) with bodies as bytes;
 *   encoding (NDJSON and base64, structured clone) is the transport's
 *   business and goes no further.
 * - What the worker sends is untrusted: a transport validates it before
 *   `message`, and reports anything else through `violation`.
 * - `exit` is reported exactly once, asynchronously, even for a worker that
 *   never started (with `failure` then); nothing is reported after it.
 * - `send` after the worker is gone is silently dropped (its `onWritten` still runs).
 */
export interface Transport {
  /** The worker's process id, when it has a process of its own. */
  readonly pid: number | undefined;
  /**
   * Starts the worker with the pool's settings (the `init` of the protocol);
   * everything it says comes back through `events`. Must not throw: a worker
   * that cannot start is an `exit` with `failure`.
   */
  open(events: TransportEvents): void;
  /** `onWritten` runs once the message has left this transport's buffers, or could not be sent. */
  send(command: SessionCommand, onWritten?: () => void): void;
  /** `shutdown` was sent: let the worker exit by itself, kill it after `graceMs`. */
  close(graceMs: number): void;
  /** Stops the worker now, whatever it is doing. Its `exit` follows. */
  kill(): void;
  /** Work went out (watchers of the worker's CPU and memory start looking); `deadline`: it has one. */
  busy?(deadline: boolean): void;
  /** Nothing is in flight any more; work left running may go on until `until` (performance.now(), Infinity for none). */
  idle?(until: number): void;
  /** Where the session's spin looks for an answer besides the event loop (a quickjs-wasm thread's fast lane). */
  readonly polled?: PolledChannel | undefined;
}

export interface TransportEvents {
  message(message: SessionMessage): void;
  /** The worker sent something that is not the protocol: it will be killed. */
  violation(reason: string): void;
  /** A line the worker printed outside the protocol (stdout/stderr). */
  output(level: 'log' | 'error', line: string): void;
  /** A watcher outside the worker found a limit broken (CPU, memory, work past its deadline). */
  overrun(finding: WatcherFinding, detail: string): void;
  exit(exit: TransportExit): void;
}

export type WatcherFinding = 'cpu' | 'memory' | 'past-deadline';

/** How a transport's worker ended. */
export interface TransportExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the worker never started and the transport knows why (EMFILE, a thread that failed). */
  failure?: FunctionsError | undefined;
  /** The last thing the worker printed, for start-up failure messages. */
  detail?: string | undefined;
}

/** A message from a worker, validated and decoded by its transport. */
export type SessionMessage =
  | { type: 'ready'; id: number; payload: Omit<ReadyInfo, 'startMs'> }
  | {
      type: 'response';
      id: number;
      payload: { status: number; statusText: string; headers: HeaderPairs; body: Uint8Array | null; cpuMs: number; peakMemoryBytes: number };
    }
  | { type: 'error'; id: number; payload: { code: WorkerErrorCode; name?: string | undefined; message: string; stack?: string | undefined } }
  | { type: 'log'; id: number; payload: { level: LogLevel; message: string; time: number } }
  | { type: 'denied'; id: number; payload: { capability: DeniableCapability; target: string; rule: string } }
  | { type: 'call'; id: number; payload: { call: number; op: 'fetch'; args: HostFetchArgs } };

/** A message to a worker, before its transport encodes it. */
export type SessionCommand =
  | {
      type: 'invoke';
      id: number;
      payload: { method: string; url: string; headers: HeaderPairs; body: Uint8Array | null; cpuMs: number; timeoutMs: number };
    }
  | { type: 'cancel'; id: number }
  | { type: 'shutdown'; id: 0 }
  | {
      type: 'result';
      id: number;
      payload: { call: number; ok: true; value: HostFetchResult } | { call: number; ok: false; error: { code: string; message: string } };
    };

import type { Capabilities } from '../../capabilities/index.js';
import type { SessionCommand, SessionMessage, WatcherFinding } from '../transport.js';

/**
 * What travels between a quickjs-wasm worker's session (host thread) and its
 * sandbox (a tinypool thread): the session's own messages (transport.ts),
 * bodies as bytes carried by structured clone, plus a few of the thread's.
 * Both ends are the library's own code; what the handler controls in them
 * (texts, headers, bodies) is checked by the sandbox before it is sent.
 */

export interface SandboxSettings {
  source: string;
  filename: string;
  env: Record<string, string>;
  capabilities: Capabilities;
  limits: { maxBodyBytes: number; maxLogBytes: number };
  /** Start of the fake clock (ms since the epoch), or null for the real one. */
  fakeClock: number | null;
  /** Seed of Math.random and crypto.getRandomValues, or null for real entropy. */
  randomSeed: number | null;
  /** 'invocation': a fresh runtime and context for every invocation. */
  isolation: 'worker' | 'invocation';
}

/** The sandbox's end of its channel: a MessagePort to a thread, or a LocalPort (inline). */
export interface SandboxPort {
  on(event: 'message', listener: (message: ToSandbox) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  postMessage(message: FromSandbox, transfer?: ArrayBuffer[]): void;
  close(): void;
}

/** The tinypool task that runs one sandbox for as long as it lives (or the same on the host thread, inline). */
export interface SandboxTask {
  port: SandboxPort;
  settings: SandboxSettings;
  /**
   * One Int32 the host sets to 1 to stop the sandbox at the engine's next
   * interrupt check, even while its code keeps the thread busy.
   */
  stop: SharedArrayBuffer;
  /** On a thread: the fast lane's mailboxes (fast-lane.ts), and how long the sandbox polls for its next call after an answer (the pool's spinWaitUs). */
  lane?: SharedArrayBuffer;
  spinUs?: number;
}

export type ToSandbox =
  | SessionCommand
  /** The unit-test sandbox's clock: move it by `ms`, running the timers that fall due. */
  | { type: 'advanceTime'; ms: number }
  /** Look in the fast lane's mailbox (fast-lane.ts). */
  | { type: 'doorbell'; id: 0; payload: Record<string, never> };

export type CallResult = Extract<SessionCommand, { type: 'result' }>['payload'];

export type FromSandbox =
  | SessionMessage
  /** First message, before anything is loaded: which thread to stop if the sandbox never answers again. */
  | { type: 'thread'; id: 0; payload: { threadId: number } }
  /** The fake clock moved as asked (`advanceTime`) and its due timers ran. */
  | { type: 'advanced'; id: 0; payload: Record<string, never> }
  /** Work left running after an answer broke its limits (leftover-cpu.ts); the sandbox ends next. */
  | { type: 'overrun'; id: 0; payload: { finding: WatcherFinding; detail: string } }
  /** The handler's context handed the host something the protocol does not allow (guest-input.ts); `exit` follows. */
  | { type: 'violation'; id: 0; payload: { reason: string } }
  /** The sandbox is gone (shutdown, a limit, a load failure); nothing follows. */
  | { type: 'exit'; id: 0; payload: { code: number } }
  /** Look in the fast lane's mailbox (fast-lane.ts). */
  | { type: 'doorbell'; id: 0; payload: Record<string, never> };

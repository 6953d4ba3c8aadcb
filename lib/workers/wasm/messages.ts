import type { MessagePort } from 'node:worker_threads';
import type { Capabilities } from '../../capabilities/index.js';
import type { DeniableCapability, FetchArgs, HeaderPairs, LogLevel, WorkerErrorCode } from '../../protocol/index.js';

/**
 * What travels between a quickjs-wasm worker's session (host thread) and its
 * sandbox (a tinypool thread). The shapes are the NDJSON protocol's, with one
 * difference: bodies are bytes (structured clone carries them), never base64.
 * Both ends are the library's own code, so messages are typed, not validated.
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

/** The tinypool task that runs one sandbox for as long as it lives. */
export interface SandboxTask {
  port: MessagePort;
  settings: SandboxSettings;
  /**
   * One Int32 the host sets to 1 to stop the sandbox at the engine's next
   * interrupt check, even while its code keeps the thread busy.
   */
  stop: SharedArrayBuffer;
}

export type ToSandbox =
  | {
      type: 'invoke';
      id: number;
      payload: {
        method: string;
        url: string;
        headers: HeaderPairs;
        body: Uint8Array | null;
        cpuMs: number;
        timeoutMs: number;
      };
    }
  | { type: 'cancel'; id: number }
  | { type: 'result'; id: number; payload: CallResult }
  | { type: 'advanceTime'; ms: number }
  | { type: 'shutdown' };

export type CallResult =
  | {
      call: number;
      ok: true;
      value: { status: number; statusText: string; url: string; redirected: boolean; headers: HeaderPairs; body: Uint8Array };
    }
  | { call: number; ok: false; error: { code: string; message: string } };

export type FromSandbox =
  /** First message, before anything is loaded: which thread to stop if the sandbox never answers again. */
  | { type: 'thread'; id: 0; payload: { threadId: number } }
  | {
      type: 'ready';
      id: 0;
      payload: { runtime: string; version: string; pid: number; threadId: number; features: string[]; sandbox: Record<string, string> };
    }
  | {
      type: 'response';
      id: number;
      payload: {
        status: number;
        statusText: string;
        headers: HeaderPairs;
        body: Uint8Array | null;
        cpuMs: number;
        peakMemoryBytes: number;
      };
    }
  | { type: 'error'; id: number; payload: { code: WorkerErrorCode; name?: string; message: string; stack?: string } }
  | { type: 'log'; id: number; payload: { level: LogLevel; message: string; time: number } }
  | { type: 'denied'; id: number; payload: { capability: DeniableCapability; target: string; rule: string } }
  | { type: 'call'; id: number; payload: { call: number; op: 'fetch'; args: FetchArgs } }
  /** The fake clock moved as asked (`advanceTime`) and its due timers ran. */
  | { type: 'advanced'; id: 0; payload: Record<string, never> }
  /** The sandbox is gone (shutdown, a limit, a load failure); nothing follows. */
  | { type: 'exit'; id: 0; payload: { code: number } };

// Spawns the native worker binary directly and speaks the protocol of
// docs/protocol.md with it. BUNBASE_QJS_WORKER overrides the binary (the
// ASan build: build-asan/bunbase-worker).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Duplex } from 'node:stream';

export const WORKER_PATH =
  process.env['BUNBASE_QJS_WORKER'] ?? fileURLToPath(new URL('../../build/Release/bunbase-worker', import.meta.url));

/**
 * Workers apply their OS fence (init's `osSandbox`) unless
 * BUNBASE_QJS_OS_SANDBOX=0: LeakSanitizer cannot run inside the fence (it
 * needs ptrace), so the sanitizer build is also run with it off.
 */
export const OS_SANDBOX = process.env['BUNBASE_QJS_OS_SANDBOX'] !== '0';

export interface Message {
  id: number;
  type: string;
  // The tests assert on payload fields directly; their types are the assertions' business.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  payload: Record<string, any>;
}

export interface Capabilities {
  projectId: string;
  allowFilesystem: boolean;
  allowedPaths: string[];
  readOnlyPaths: string[];
  allowNetwork: boolean;
  allowedDomains: string[];
  allowChildProcess: boolean;
  allowEval: boolean;
  maxMemory: number;
  maxCpu: number;
  maxFileDescriptors: number;
}

export const STRICT: Capabilities = {
  projectId: 'native-test',
  allowFilesystem: false,
  allowedPaths: [],
  readOnlyPaths: [],
  allowNetwork: false,
  allowedDomains: [],
  allowChildProcess: false,
  allowEval: false,
  maxMemory: 100 * 1024 * 1024,
  maxCpu: 30_000,
  maxFileDescriptors: 10,
};

export interface InvokeOptions {
  method?: string;
  url?: string;
  headers?: [string, string][];
  body?: Uint8Array | string | null;
  cpuMs?: number;
  timeoutMs?: number;
}

export class NativeWorker {
  readonly child: ChildProcess;
  readonly messages: Message[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';
  #ipc: Duplex;
  #pending: Buffer[] = [];
  #waiters: { match: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  #nextId = 1;
  /** Answers `call` messages (host fetch) when set. */
  onCall: ((m: Message) => unknown) | null = null;

  constructor() {
    if (!existsSync(WORKER_PATH)) {
      throw new Error(`native worker not built at ${WORKER_PATH}: run scripts/fetch-deps.sh and scripts/build-native.sh`);
    }
    this.child = spawn(WORKER_PATH, [], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    this.#ipc = this.child.stdio[3] as Duplex;
    this.child.stderr!.on('data', (d) => (this.stderr += d));
    this.child.stdout!.resume();
    this.#ipc.on('error', () => {});
    this.#ipc.on('data', (chunk: Buffer) => this.#onData(chunk));
    // 'close' (not 'exit'): stderr has been read to the end by then.
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => resolve({ code, signal })));
  }

  #onData(chunk: Buffer) {
    // Only the new chunk is searched for the end of a line: a 20 MB line
    // arrives in hundreds of reads, and scanning (and flattening) the whole
    // text at every read took the 16 MB echo test half a minute.
    let i: number;
    while ((i = chunk.indexOf(0x0a)) >= 0) {
      this.#pending.push(chunk.subarray(0, i));
      chunk = chunk.subarray(i + 1);
      const line = Buffer.concat(this.#pending).toString('utf8');
      this.#pending = [];
      const m = JSON.parse(line) as Message;
      this.messages.push(m);
      if (m.type === 'call' && this.onCall) {
        const value = this.onCall(m);
        Promise.resolve(value).then((payload) => this.send({ id: m.id, type: 'result', payload: { call: m.payload['call'], ...(payload as object) } }));
      }
      const w = this.#waiters.findIndex((x) => x.match(m));
      if (w >= 0) this.#waiters.splice(w, 1)[0]!.resolve(m);
    }
    if (chunk.length > 0) this.#pending.push(chunk);
  }

  send(m: { id: number; type: string; payload: unknown }) {
    this.#ipc.write(JSON.stringify(m) + '\n');
  }

  /** Resolves with the first message (already received or future) matching. */
  waitFor(match: (m: Message) => boolean, timeoutMs = 10_000): Promise<Message> {
    const seen = this.messages.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages)}; stderr: ${this.stderr}`)), timeoutMs);
      this.#waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  init(source: string, capabilities: Partial<Capabilities> = {}, extra: Record<string, unknown> = {}) {
    this.send({
      id: 0,
      type: 'init',
      payload: {
        protocol: 1,
        source,
        filename: 'handler.js',
        env: { KEY: 'value' },
        capabilities: { ...STRICT, ...capabilities },
        limits: { maxBodyBytes: 1024 * 1024, maxLogBytes: 4096 },
        osSandbox: OS_SANDBOX,
        ...extra,
      },
    });
    return this.waitFor((m) => m.id === 0 && (m.type === 'ready' || m.type === 'error'));
  }

  /** Sends an invoke and resolves with its response or error message. */
  invoke(opts: InvokeOptions = {}): Promise<Message> {
    const id = this.#nextId++;
    const body = opts.body == null ? null : Buffer.from(opts.body).toString('base64');
    this.send({
      id,
      type: 'invoke',
      payload: {
        method: opts.method ?? 'GET',
        url: opts.url ?? 'http://localhost/',
        headers: opts.headers ?? [],
        body,
        cpuMs: opts.cpuMs ?? 30_000,
        timeoutMs: opts.timeoutMs ?? 30_000,
      },
    });
    // Below the test's own timeout, above what a 16 MB echo takes on a loaded 2-core machine (12-13 s seen).
    return this.waitFor((m) => m.id === id && (m.type === 'response' || m.type === 'error'), 25_000);
  }

  messagesFor(id: number, type?: string) {
    return this.messages.filter((m) => m.id === id && (!type || m.type === type));
  }

  close() {
    this.#ipc.end();
    return this.exited;
  }

  /**
   * Ends the worker the normal way (end-of-file on fd 3) and fails if it does
   * not exit 0, or if a sanitizer (ASan, UBSan, LeakSanitizer) said anything.
   * A worker that already exited (a test expected that) is only checked for
   * sanitizer reports.
   */
  async finish() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.#ipc.end();
      const timer = setTimeout(() => this.kill(), 5000);
      const exit = await this.exited;
      clearTimeout(timer);
      if (exit.code !== 0) throw new Error(`worker exited ${JSON.stringify(exit)} on end-of-file; stderr:\n${this.stderr}`);
    } else {
      await this.exited;
    }
    if (/Sanitizer|runtime error:|CHECK\(/.test(this.stderr)) throw new Error(`sanitizer or CHECK report:\n${this.stderr}`);
  }

  kill() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Starts a worker with `source` and asserts it became ready. */
export async function ready(source: string, capabilities: Partial<Capabilities> = {}) {
  const w = new NativeWorker();
  const m = await w.init(source, capabilities);
  if (m.type !== 'ready') {
    w.kill();
    throw new Error(`worker did not become ready: ${JSON.stringify(m)}`);
  }
  return w;
}

export function bodyText(m: Message): string {
  return m.payload['body'] == null ? '' : Buffer.from(m.payload['body'], 'base64').toString('utf8');
}

export function bodyBytes(m: Message): Uint8Array {
  return m.payload['body'] == null ? new Uint8Array(0) : new Uint8Array(Buffer.from(m.payload['body'], 'base64'));
}

import type { ChildProcess } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { WorkerCrashedError } from '../errors.js';
import { LineSplitter, PROTOCOL_VERSION, decodeBody, decodeMessage, encodeBody, encodeInvoke, encodeMessage, type HostMessage, type WorkerMessage } from '../protocol/index.js';
import { OutputCapture } from './output-capture.js';
import { checkSpawnHeadroom, spawnFailure } from './spawn-resources.js';
import type { SessionCommand, SessionMessage, Transport, TransportEvents } from './transport.js';
import { Watchdog, residentBytes } from './watchdog.js';
import type { ForkEvents, ForkServer, ForkedProcess } from './fork-server.js';
import { createWorkDir, removeWorkDir } from './work-dir.js';
import type { RuntimeName, WorkerContext } from './worker.js';

const STDERR_TAIL_BYTES = 4096;
const NEWLINE = 0x0a;
/** Lines longer than this are written on their own, never copied into a batch of held lines. */
const HELD_LINE_CHARS = 64 * 1024;

/** How a runtime's process is started; the rest of the transport is shared. */
export interface LaunchSpec {
  /** Starts the process; `workdir` is its private working directory when the OS fence is on. */
  spawn(workdir: string | undefined): ChildProcess;
  /** Fields of the init message this runtime adds or replaces (docs/protocol.md). */
  init?: Record<string, unknown>;
  /** When set, the worker is forked by this fork server instead of spawned (docs/fork-server.md). */
  forkServer?: ForkServer | undefined;
}

/**
 * A worker that is a child process speaking NDJSON on descriptor 3 (Bun and
 * QuickJS-NG differ only in their `LaunchSpec`). Bodies are base64 on the
 * wire and bytes everywhere else; stdout and stderr are log lines; CPU and
 * memory are watched from outside through /proc.
 */
export class ProcessTransport implements Transport {
  readonly #runtime: RuntimeName;
  readonly #context: WorkerContext;
  readonly #launch: LaunchSpec;
  readonly #splitter: LineSplitter;
  readonly #output: OutputCapture;
  #events: TransportEvents | undefined;
  #child: ChildProcess | undefined;
  #forked: ForkedProcess | undefined;
  /** Set once the worker is being stopped: a forked worker that connects back after it gets end-of-file, not init. */
  #stopping = false;
  #channel: Duplex | undefined;
  #workdir: string | undefined;
  #watchdog: Watchdog | undefined;
  #stderrTail = '';
  /** Resident size at `ready`: the runtime's own, not charged to the handler's maxMemory. */
  #baselineBytes = 0;
  #killTimer: NodeJS.Timeout | undefined;
  #exited = false;
  /** A forked worker's `ready`, until the zygote reports its pid. */
  #heldReady: Extract<WorkerMessage, { type: 'ready' }> | undefined;
  /** Lines held while answers from one read are handled, written together by #flushHeld; undefined when not batching. */
  #held: string | undefined;
  #heldCallbacks: (() => void)[] | undefined;
  /** `advanceTime` calls waiting for their `advanced`, oldest first (the worker answers in order). */
  readonly #advances: (() => void)[] = [];

  constructor(runtime: RuntimeName, context: WorkerContext, launch: LaunchSpec) {
    this.#runtime = runtime;
    this.#context = context;
    this.#launch = launch;
    const max = context.options.maxMessageBytes;
    this.#splitter = new LineSplitter(
      max,
      (line) => this.#onLine(line),
      (bytes) => this.#events?.violation(`a message of at least ${bytes} bytes exceeds maxMessageBytes (${max})`),
    );
    this.#output = new OutputCapture(context.options.maxLogBytes, (level, line) => this.#events?.output(level, line));
  }

  get pid(): number | undefined {
    return this.#child?.pid ?? this.#forked?.pid;
  }

  open(events: TransportEvents): void {
    this.#events = events;
    let child: ChildProcess;
    try {
      checkSpawnHeadroom(this.#runtime, this.#launch.forkServer?.reservedDescriptors);
      // A private, empty working directory: the fence makes it the worker's cwd and its only writable place.
      if (this.#context.options.osSandbox) this.#workdir = createWorkDir();
      const server = this.#launch.forkServer;
      if (server !== undefined) {
        const events: ForkEvents = {
          channel: (socket) => this.#attach(socket),
          output: (socket) => socket.on('data', (chunk: Buffer) => this.#onStderr(chunk)),
          exit: (code, signal, failure) => this.#onExit(code, signal, failure === undefined ? undefined : spawnFailure(this.#runtime, failure)),
          forked: () => this.#releaseReady(),
        };
        // A fenced worker without network may make its network namespace before init (a spare has).
        this.#forked = server.fork(events, this.#context.options.osSandbox && !this.#context.capabilities.allowNetwork);
        return;
      }
      child = this.#launch.spawn(this.#workdir);
    } catch (error) {
      const failure = spawnFailure(this.#runtime, error);
      // Asynchronously, as a real exit would be: the pool is still wiring this worker up.
      process.nextTick(() => this.#onExit(null, null, failure));
      return;
    }
    this.#child = child;
    child.on('error', (error) => {
      // A process that never started (EMFILE, EAGAIN, ENOENT) emits no exit event.
      if (child.pid === undefined) this.#onExit(null, null, spawnFailure(this.#runtime, error));
    });
    const channel = child.stdio?.[3] as Duplex | null | undefined;
    if (child.pid === undefined || channel === undefined || channel === null) {
      // A child that never started reports through its 'error' event; one that started without descriptor 3 is killed.
      if (child.pid !== undefined) {
        child.once('exit', (code, signal) =>
          this.#onExit(code, signal, new WorkerCrashedError(`The ${this.#runtime} worker was started without its channel (descriptor 3)`)),
        );
        child.kill('SIGKILL');
      }
      return;
    }
    child.stdout?.on('data', (chunk: Buffer) => this.#output.push('log', chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.#onStderr(chunk));
    child.on('exit', (code, signal) => this.#onExit(code, signal));
    this.#attach(channel);
  }

  #onStderr(chunk: Buffer): void {
    this.#stderrTail = (this.#stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    this.#output.push('error', chunk);
  }

  /** The protocol channel is there (at spawn, or when a forked worker connected back): send `init`. */
  #attach(channel: Duplex): void {
    this.#channel = channel;
    channel.on('data', (chunk: Buffer) => this.#onData(chunk));
    // The channel erroring (EPIPE after a crash) is reported through the exit event.
    channel.on('error', () => {});
    // Stopped before it connected: end-of-file instead of init makes it exit.
    if (this.#stopping) {
      channel.end();
      return;
    }
    const c = this.#context;
    this.#write({
      id: 0,
      type: 'init',
      payload: {
        protocol: PROTOCOL_VERSION,
        source: c.source,
        filename: c.filename,
        env: c.options.env,
        capabilities: c.capabilities,
        limits: { maxBodyBytes: c.options.maxBodyBytes, maxLogBytes: c.options.maxLogBytes },
        osSandbox: c.options.osSandbox,
        workdir: this.#workdir ?? null,
        ...this.#launch.init,
      },
    });
  }

  /**
   * Several answers in one read (a worker running invocations concurrently)
   * free several slots, which are refilled in the promise jobs that follow
   * (the pool's queue, or callers awaiting an answer and invoking again):
   * lines written until all of them have run are held and leave in one write
   * instead of one each (#flushHeld).
   */
  #onData(chunk: Buffer): void {
    const batch = chunk.indexOf(NEWLINE) !== chunk.lastIndexOf(NEWLINE);
    if (batch && this.#held === undefined) {
      this.#held = '';
      // A tick queued from a microtask runs once the whole microtask queue has drained.
      queueMicrotask(() => process.nextTick(this.#flushHeld));
    }
    this.#splitter.push(chunk);
  }

  send(command: SessionCommand, onWritten?: () => void): void {
    if (command.type === 'invoke') {
      const p = command.payload;
      const body = p.body === null ? null : encodeBody(p.body);
      this.#writeLine(encodeInvoke(command.id, { method: p.method, url: p.url, headers: p.headers, body, cpuMs: p.cpuMs, timeoutMs: p.timeoutMs }), onWritten);
      return;
    }
    this.#write(toWire(command), onWritten);
  }

  /** Moves the worker's fake clock (`fakeClock`); resolves once its due timers ran, or when the worker is gone. */
  advanceTime(ms: number): Promise<void> {
    if (this.#exited || this.#channel === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.#advances.push(resolve);
      this.#write({ id: 0, type: 'advanceTime', payload: { ms } });
    });
  }

  close(graceMs: number): void {
    this.#stopping = true;
    if (this.#exited) return;
    // Held lines (the shutdown message among them) go out before the end of the channel.
    this.#flushHeld();
    this.#channel?.end();
    clearTimeout(this.#killTimer);
    this.#killTimer = setTimeout(() => this.kill(), graceMs);
  }

  kill(): void {
    this.#stopping = true;
    this.#child?.kill('SIGKILL');
    this.#forked?.kill();
  }

  /**
   * CPU and memory limits the worker cannot be trusted to enforce itself are
   * checked from outside, and so is CPU used by work left running after an
   * answer (against the same maxCpu, and not past the invocation's deadline).
   */
  busy(deadline: boolean): void {
    const pid = this.pid;
    if (pid === undefined) return;
    const caps = this.#context.capabilities;
    if (caps.maxCpu === 0 && caps.maxMemory === 0 && !deadline && this.#watchdog === undefined) return;
    this.#watchdog ??= new Watchdog(pid, caps.maxCpu, caps.maxMemory, (kind, detail) => this.#events?.overrun(kind, detail), this.#baselineBytes);
    this.#watchdog.busy();
  }

  idle(until: number): void {
    this.#watchdog?.idle(until);
  }

  #write(message: HostMessage, onWritten?: () => void): void {
    this.#writeLine(encodeMessage(message), onWritten);
  }

  #writeLine(line: string, onWritten?: () => void): void {
    if (this.#held !== undefined) {
      if (line.length <= HELD_LINE_CHARS) {
        this.#held += line;
        if (onWritten !== undefined) (this.#heldCallbacks ??= []).push(onWritten);
        return;
      }
      // A large line (a request body) is not copied into the batch: what was held goes first.
      this.#flushHeld();
      this.#held = '';
    }
    const channel = this.#channel;
    if (channel === undefined || channel.destroyed || !channel.writable) return onWritten?.();
    channel.write(line, onWritten);
  }

  /**
   * Writes the held lines as one string: Writable.cork did the same with an
   * entry and a write request per line and a writev of as many pieces.
   */
  readonly #flushHeld = (): void => {
    const text = this.#held;
    const callbacks = this.#heldCallbacks;
    this.#held = undefined;
    this.#heldCallbacks = undefined;
    if (text === undefined || text === '') {
      if (callbacks !== undefined) for (const done of callbacks) done();
      return;
    }
    this.#writeLine(text, callbacks === undefined ? undefined : () => {
      for (const done of callbacks) done();
    });
  };


  #onLine(line: string): void {
    if (this.#exited) return;
    const decoded = decodeMessage(line);
    if (!decoded.ok) return this.#events?.violation(decoded.reason);
    if (decoded.message.type === 'advanced') {
      this.#advances.shift()?.();
      return;
    }
    if (decoded.message.type === 'ready') {
      // A forked worker's channel can connect, and answer init, before the zygote
      // has reported its pid: it is ready for the pool once it can be watched.
      if (this.pid === undefined && this.#forked !== undefined) {
        this.#heldReady = decoded.message;
        return;
      }
      this.#onReady(decoded.message);
      return;
    }
    this.#events?.message(fromWire(decoded.message));
  }

  #releaseReady(): void {
    const ready = this.#heldReady;
    this.#heldReady = undefined;
    if (ready !== undefined && !this.#exited) this.#onReady(ready);
  }

  #onReady(ready: Extract<WorkerMessage, { type: 'ready' }>): void {
    const pid = this.pid;
    if (this.#context.capabilities.maxMemory > 0 && pid !== undefined) this.#baselineBytes = residentBytes(pid);
    this.#events?.message(fromWire(ready));
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null, failure?: WorkerCrashedError): void {
    if (this.#exited) return;
    this.#exited = true;
    clearTimeout(this.#killTimer);
    this.#watchdog?.stop();
    this.#splitter.stop();
    this.#output.flush();
    if (this.#workdir !== undefined) removeWorkDir(this.#workdir);
    this.#workdir = undefined;
    for (const resolve of this.#advances.splice(0)) resolve();
    this.#events?.exit({ code, signal, failure, detail: this.#stderrTail });
  }
}

/** NDJSON carries bodies as base64; the session has them as bytes. (`invoke` is written by encodeInvoke.) */
function toWire(command: Exclude<SessionCommand, { type: 'invoke' }>): HostMessage {
  switch (command.type) {
    case 'result': {
      const p = command.payload;
      if (!p.ok) return { ...command, payload: p };
      return { ...command, payload: { ...p, value: { ...p.value, body: p.value.body.byteLength === 0 ? null : encodeBody(p.value.body) } } };
    }
    case 'cancel':
      return { ...command, payload: {} };
    case 'shutdown':
      return { ...command, payload: {} };
  }
}

function fromWire(message: Exclude<WorkerMessage, { type: 'advanced' }>): SessionMessage {
  switch (message.type) {
    case 'response': {
      // Decoded for this call alone: its body is turned into bytes in place, not copied into a new message.
      const decoded = message as unknown as Extract<SessionMessage, { type: 'response' }>;
      decoded.payload.body = decodeBody(message.payload.body);
      return decoded;
    }
    case 'call':
      return { ...message, payload: { ...message.payload, args: { ...message.payload.args, body: decodeBody(message.payload.args.body) } } };
    default:
      return message;
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { constants } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { WorkerCrashedError } from '../errors.js';
import { hostDirectory } from './work-dir.js';

/** Hex digits of a worker's token (native/zygote.h, QW_ZYGOTE_TOKEN_LEN). */
const TOKEN_HEX = 32;
/** "TOKEN ROLE\n": the first bytes a forked worker writes on each connection. */
const HELLO_BYTES = TOKEN_HEX + 3;
/** A connection that has not said who it is within this long is dropped. */
const HELLO_TIMEOUT_MS = 10_000;
/**
 * A zygote that has not answered a fork or a kill within this long is taken
 * for hung (stopped, wedged) and replaced; its workers die with it.
 */
const ZYGOTE_ANSWER_MS = 5000;
/** The longest socket path a UNIX socket address holds (sun_path, with its NUL). */
const SOCKET_PATH_MAX = 107;
/**
 * Workers forked ahead, before any pool asks (docs/fork-server.md): each has
 * connected back, made its network namespace and evaluated the prelude, so a
 * new pool's first worker only has to read init, finish its fence and load
 * the handler. Each costs about a megabyte (PSS) while it waits.
 */
export const FORK_SPARES = 2;
/**
 * A spare taken is replaced this long after, not at once: a new spare spends
 * a few milliseconds of CPU connecting back and evaluating the prelude, which
 * on a small machine would come out of the very cold start that took one.
 */
const SPARE_REFILL_DELAY_MS = 20;

/** What a forked worker reports to whoever started it. */
export interface ForkEvents {
  /** The protocol channel (the worker's descriptor 3) connected back. */
  channel(socket: Socket): void;
  /** The worker's stdout and stderr (one connection) connected back. */
  output(socket: Socket): void;
  /**
   * The worker is gone and its connections are closed; exactly once. `code`
   * and `signal` are what its parent, the zygote, reaped. `failure` is set
   * when it never started or the zygote died under it.
   */
  exit(code: number | null, signal: NodeJS.Signals | null, failure?: Error): void;
  /** The zygote reported the worker's pid (its connections may have come first). */
  forked?(pid: number): void;
}

/** One worker forked by a `ForkServer`. */
export class ForkedProcess {
  readonly token: string;
  readonly #server: ForkServer;
  /** Undefined while it is a spare nobody has taken yet. */
  #events: ForkEvents | undefined;
  /** A spare's connections, paused and unreferenced until it is taken. */
  #held: { channel?: Socket; output?: Socket } = {};
  #pid: number | undefined;
  #killWanted = false;
  #answerTimer: NodeJS.Timeout | undefined;
  #open = 0;
  #channel = false;
  #output = false;
  #ended:
    | {
        code: number | null;
        signal: NodeJS.Signals | null;
        failure?: Error | undefined;
      }
    | undefined;
  #reported = false;

  constructor(server: ForkServer, token: string, events: ForkEvents | undefined) {
    this.#server = server;
    this.token = token;
    this.#events = events;
  }

  get pid(): number | undefined {
    return this.#pid;
  }

  /** @internal A spare nobody has taken. */
  get spare(): boolean {
    return this.#events === undefined;
  }

  /** @internal Alive (as far as the host knows): it can still be taken. */
  get live(): boolean {
    return this.#ended === undefined && !this.#killWanted;
  }

  /** @internal A spare becomes a pool's worker: what it held so far goes to `events`. */
  adopt(events: ForkEvents): void {
    this.#events = events;
    const { channel, output } = this.#held;
    this.#held = {};
    for (const [role, socket] of [
      ['3', channel],
      ['2', output],
    ] as const) {
      if (socket === undefined) continue;
      socket.ref();
      if (role === '3') events.channel(socket);
      else events.output(socket);
      socket.resume();
    }
  }

  /** SIGKILL, through the zygote, which is the worker's parent: the pid cannot have been reused. */
  kill(): void {
    if (this.#ended !== undefined) return;
    if (this.#pid === undefined) {
      this.#killWanted = true;
      return;
    }
    this.#server.kill(this.#pid);
    this.awaitAnswer();
  }

  /** @internal The zygote owes an answer about this worker: `forked` for a fork, `killed` for a kill. */
  awaitAnswer(): void {
    clearTimeout(this.#answerTimer);
    // A host whose event loop was blocked runs timers before it reads what arrived meanwhile:
    // the verdict waits for one poll of the loop (setImmediate runs after it).
    this.#answerTimer = setTimeout(
      () =>
        setImmediate(() => {
          if (this.#answerTimer !== undefined) this.#server.hung();
        }),
      ZYGOTE_ANSWER_MS,
    );
    this.#answerTimer.unref();
  }

  /** @internal The zygote answered a request about it (`killed`, or `exit`, which may come first). */
  answered(): void {
    clearTimeout(this.#answerTimer);
    this.#answerTimer = undefined;
  }

  /** @internal The zygote forked it. */
  forked(pid: number): void {
    this.#pid = pid;
    this.answered();
    if (this.#killWanted) this.kill();
    this.#events?.forked?.(pid);
  }

  /**
   * @internal A connection announced itself with this token; false when it is
   * not wanted. 'held' when it belongs to a spare: it stays paused (and does not
   * keep the host alive) until the spare is taken.
   */
  connected(role: '3' | '2', socket: Socket): boolean | 'held' {
    if (this.#ended !== undefined) return false;
    if (role === '3' ? this.#channel : this.#output) return false;
    if (role === '3') this.#channel = true;
    else this.#output = true;
    this.#open++;
    socket.once('close', () => {
      this.#open--;
      this.#maybeReport();
    });
    if (this.#events === undefined) {
      socket.unref();
      if (role === '3') this.#held.channel = socket;
      else this.#held.output = socket;
      return 'held';
    }
    if (role === '3') this.#events.channel(socket);
    else this.#events.output(socket);
    return true;
  }

  /** @internal Connections still to come. */
  get missing(): number {
    return this.#ended !== undefined ? 0 : (this.#channel ? 0 : 1) + (this.#output ? 0 : 1);
  }

  /** @internal Whether the protocol channel ever connected. */
  get attached(): boolean {
    return this.#channel;
  }

  /**
   * @internal Both connections and the zygote's `forked` arrived (or the worker
   * is gone): the token is spent. The connections may well come first.
   */
  get complete(): boolean {
    return (this.#channel && this.#output && this.#pid !== undefined) || this.#ended !== undefined;
  }

  /** @internal The zygote reaped it, failed to fork it, or died. */
  ended(code: number | null, signal: NodeJS.Signals | null, failure?: Error): void {
    if (this.#ended !== undefined) return;
    this.answered();
    this.#ended = { code, signal, failure };
    // A spare's paused connections would never see their end: nobody reads them.
    this.#held.channel?.destroy();
    this.#held.output?.destroy();
    this.#held = {};
    this.#maybeReport();
  }

  #maybeReport(): void {
    // Its connections end with it; what it wrote before exiting is read first.
    if (this.#ended === undefined || this.#open > 0 || this.#reported || this.#events === undefined) return;
    this.#reported = true;
    const { code, signal, failure } = this.#ended;
    this.#events.exit(code, signal, failure);
  }
}

/**
 * The host's side of the fork server (native/zygote.c): one zygote process per
 * worker binary and host process, started on first use, plus a UNIX socket in
 * the host's private directory where forked workers connect back. Starting a
 * worker is one line written to the zygote; the event loop never waits for a
 * fork or an exec. If the zygote dies, its workers die with it (they are
 * reported as killed) and the next fork starts a new zygote.
 */
export class ForkServer {
  readonly #binary: string;
  readonly #socketPath: string;
  readonly #server: Server;
  readonly #zygote: ChildProcess;
  readonly #control: Duplex;
  readonly #byToken = new Map<string, ForkedProcess>();
  readonly #byPid = new Map<number, ForkedProcess>();
  /** Forked ahead for fenced pools without network, oldest first. */
  #spares: ForkedProcess[] = [];
  #refill: NodeJS.Timeout | undefined;
  #queued: string[] | undefined = [];
  #input = '';
  #dead = false;
  #retired = false;
  #stderrTail = '';
  /** The last accept() that failed for want of descriptors: a worker that never connected was probably dropped by it. */
  #acceptFailure: Error | undefined;
  #deathCause: Error | undefined;

  private constructor(binary: string, env: Record<string, string>) {
    this.#binary = binary;
    this.#socketPath = join(hostDirectory(), `zygote-${++serial}.sock`);
    if (Buffer.byteLength(this.#socketPath) > SOCKET_PATH_MAX) {
      throw new WorkerCrashedError(
        `The fork server's socket path is too long for a UNIX socket (${this.#socketPath}); set TMPDIR to a shorter directory or forkServer: false`,
      );
    }
    this.#server = createServer({ allowHalfOpen: false, pauseOnConnect: false }, (socket) => this.#onConnection(socket));
    this.#server.on('error', (error: NodeJS.ErrnoException) => {
      // accept() out of descriptors drops that one connection; the server goes on listening.
      if (error.code === 'EMFILE' || error.code === 'ENFILE') this.#acceptFailure = error;
      else this.#die(`its socket failed: ${error.message}`);
    });
    this.#server.listen(this.#socketPath, () => {
      const queued = this.#queued ?? [];
      this.#queued = undefined;
      for (const line of queued) this.#write(line);
    });
    this.#server.unref();
    this.#zygote = spawn(binary, ['--zygote', this.#socketPath], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      env,
    });
    this.#zygote.unref();
    this.#zygote.on('error', (error) => this.#die(`it could not start: ${error.message}`, error));
    this.#zygote.on('exit', (code, signal) => this.#die(`it exited (${signal ?? `exit code ${code}`})`));
    const control = this.#zygote.stdio[3] as Duplex | null | undefined;
    const stderr = this.#zygote.stderr;
    if (control === null || control === undefined) throw new WorkerCrashedError('The fork server was started without its control channel');
    this.#control = control;
    control.on('data', (chunk: Buffer) => this.#onControl(chunk));
    control.on('error', () => {});
    unrefStream(control);
    if (stderr !== null) {
      stderr.on('data', (chunk: Buffer) => (this.#stderrTail = (this.#stderrTail + chunk.toString('utf8')).slice(-2048)));
      unrefStream(stderr);
    }
    this.#topUp();
  }

  /** The live fork server for `binary`, started now if there is none. */
  static for(binary: string, env: Record<string, string>): ForkServer {
    const key = `${binary}\0${JSON.stringify(env)}`;
    let server = servers.get(key);
    if (server === undefined || server.#dead || server.#lost()) {
      server = new ForkServer(binary, env);
      servers.set(key, server);
    }
    return server;
  }

  /** Host descriptors that forked workers will take when they connect back. */
  get reservedDescriptors(): number {
    let n = 0;
    for (const forked of this.#byToken.values()) n += forked.missing;
    return n;
  }

  /** Spares forked and not taken (for tests and diagnostics). */
  get spares(): number {
    return this.#spares.filter((spare) => spare.live).length;
  }

  /** The zygote's pid (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.#zygote.pid;
  }

  get binary(): string {
    return this.#binary;
  }

  /** Where forked workers connect back (in the host's private directory). */
  get socketPath(): string {
    return this.#socketPath;
  }

  /**
   * Forks a worker; everything about it comes back through `events`.
   * `noNetwork`: for a pool with the OS fence and without network, whose
   * worker may make its network namespace before init (a spare is one).
   * Connections that already arrived are handed over at once, within this
   * call; the rest, and the exit, asynchronously.
   */
  fork(events: ForkEvents, noNetwork = false): ForkedProcess {
    if (noNetwork && !this.#dead) {
      const spare = this.#takeSpare();
      if (spare !== undefined) {
        spare.adopt(events);
        this.#holdLoop();
        this.#topUpSoon();
        return spare;
      }
    }
    const forked = new ForkedProcess(this, randomBytes(TOKEN_HEX / 2).toString('hex'), events);
    if (this.#dead) {
      const failure = this.#deathCause ?? new WorkerCrashedError(`The fork server is gone: ${this.#stderrTail.trim() || 'no detail'}`);
      process.nextTick(() => forked.ended(null, null, failure));
      return forked;
    }
    this.#request(forked, noNetwork);
    this.#topUpSoon();
    return forked;
  }

  #request(forked: ForkedProcess, noNetwork: boolean): void {
    this.#byToken.set(forked.token, forked);
    this.#holdLoop();
    forked.awaitAnswer();
    this.#write(`fork ${forked.token}${noNetwork ? ' n' : ''}\n`);
  }

  #takeSpare(): ForkedProcess | undefined {
    while (this.#spares.length > 0) {
      const spare = this.#spares.shift() as ForkedProcess;
      if (spare.live) return spare;
    }
    return undefined;
  }

  #topUpSoon(): void {
    if (this.#refill !== undefined) return;
    this.#refill = setTimeout(() => {
      this.#refill = undefined;
      this.#topUp();
    }, SPARE_REFILL_DELAY_MS);
    this.#refill.unref();
  }

  /** Forks spares up to FORK_SPARES. A spare that ends is not replaced until one is taken: no fork loop. */
  #topUp(): void {
    if (this.#dead || this.#retired) return;
    this.#spares = this.#spares.filter((spare) => spare.live);
    while (this.#spares.length < FORK_SPARES) {
      const spare = new ForkedProcess(this, randomBytes(TOKEN_HEX / 2).toString('hex'), undefined);
      this.#spares.push(spare);
      this.#request(spare, true);
    }
  }

  /** @internal */
  kill(pid: number): void {
    if (!this.#dead && this.#byPid.has(pid)) this.#write(`kill ${pid}\n`);
  }

  /** @internal The zygote did not answer in time: replace it. */
  hung(): void {
    this.#die(`it did not answer within ${ZYGOTE_ANSWER_MS} ms`);
    this.stop();
  }

  /** Stops the zygote; its workers are killed with it. */
  stop(): void {
    this.#zygote.kill('SIGKILL');
  }

  /**
   * The zygote and its socket do not keep the host alive by themselves, but a
   * live worker does, as a child process would: until its exit is reported.
   */
  /**
   * A temp cleaner removed the socket (or the whole host directory) under a
   * long-lived host: no new worker could connect back. New forks go to a new
   * server; this one stays for its live workers and stops once they are gone.
   */
  #lost(): boolean {
    if (this.#queued !== undefined || existsSync(this.#socketPath)) return false;
    this.#retired = true;
    this.#server.close();
    for (const spare of this.#spares) spare.kill();
    this.#spares = [];
    this.#holdLoop();
    return true;
  }

  #holdLoop(): void {
    // Spares do not keep the host alive; a pool's worker does.
    let held = false;
    for (const map of [this.#byToken, this.#byPid]) for (const forked of map.values()) held ||= !forked.spare;
    if (this.#retired && !held) this.stop();
    if (held) {
      refStream(this.#control);
      this.#server.ref();
    } else {
      unrefStream(this.#control);
      this.#server.unref();
    }
  }

  #write(line: string): void {
    if (this.#queued !== undefined) {
      this.#queued.push(line);
      return;
    }
    if (!this.#control.destroyed && this.#control.writable) this.#control.write(line);
  }

  #onControl(chunk: Buffer): void {
    this.#input += chunk.toString('latin1');
    let newline: number;
    while ((newline = this.#input.indexOf('\n')) >= 0) {
      const line = this.#input.slice(0, newline);
      this.#input = this.#input.slice(newline + 1);
      this.#onReply(line.split(' '));
    }
  }

  #onReply(words: string[]): void {
    const [kind, a = '', b = '', c = ''] = words;
    if (kind === 'forked') {
      const forked = this.#byToken.get(a);
      const pid = Number(b);
      if (forked === undefined || !Number.isSafeInteger(pid) || pid <= 0) return;
      this.#byPid.set(pid, forked);
      forked.forked(pid);
      if (forked.complete) this.#byToken.delete(a);
    } else if (kind === 'failed') {
      const forked = this.#byToken.get(a);
      if (forked === undefined) return;
      this.#byToken.delete(a);
      this.#spares = this.#spares.filter((spare) => spare !== forked);
      this.#holdLoop();
      // The errno's name, so that EAGAIN and ENOMEM read as exhaustion (spawnFailure).
      forked.ended(null, null, Object.assign(new Error(`the fork server's fork() failed with errno ${b}`), { code: errnoName(Number(b)) }));
    } else if (kind === 'killed') {
      this.#byPid.get(Number(a))?.answered();
    } else if (kind === 'exit') {
      const pid = Number(a);
      const forked = this.#byPid.get(pid);
      if (forked === undefined) return;
      this.#byPid.delete(pid);
      this.#byToken.delete(forked.token);
      this.#spares = this.#spares.filter((spare) => spare !== forked);
      this.#holdLoop();
      const code = Number(b);
      const signal = Number(c);
      // A worker whose channel the host never took, and which then ended cleanly, read end-of-file:
      // libuv answers accept()'s EMFILE by accepting and closing what is pending, often without an error event.
      const dropped = forked.attached ? undefined : (this.#acceptFailure ?? (code === 0 ? droppedByHost() : undefined));
      forked.ended(code >= 0 ? code : null, signal > 0 ? signalName(signal) : null, dropped);
    }
  }

  #onConnection(socket: Socket): void {
    let hello = Buffer.alloc(0);
    socket.setTimeout(HELLO_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', () => {});
    const onData = (chunk: Buffer): void => {
      hello = Buffer.concat([hello, chunk]);
      if (hello.length < HELLO_BYTES) return;
      socket.off('data', onData);
      socket.pause();
      socket.setTimeout(0);
      const token = hello.toString('latin1', 0, TOKEN_HEX);
      const role = hello.toString('latin1', TOKEN_HEX + 1, TOKEN_HEX + 2);
      const forked = this.#byToken.get(token);
      if (hello[TOKEN_HEX] !== 0x20 || hello[HELLO_BYTES - 1] !== 0x0a || (role !== '3' && role !== '2') || forked === undefined) {
        socket.destroy();
        return;
      }
      const rest = hello.subarray(HELLO_BYTES);
      if (rest.length > 0) socket.unshift(rest);
      const taken = forked.connected(role, socket);
      if (taken === false) {
        socket.destroy();
        return;
      }
      // Both connections are in: the token cannot be used again.
      if (forked.complete) {
        this.#byToken.delete(token);
        this.#holdLoop();
      }
      // A spare's connection stays paused until the spare is taken.
      if (taken === true) socket.resume();
    };
    socket.on('data', onData);
  }

  /** `cause`: the error that ended it, when it says more (EMFILE from its spawn is exhaustion, not a crash). */
  #die(reason: string, cause?: Error): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#deathCause = cause;
    this.#server.close();
    this.#control.destroy();
    const failure =
      cause !== undefined && 'code' in cause
        ? cause
        : new WorkerCrashedError(`The fork server died: ${reason}${this.#stderrTail ? `: ${this.#stderrTail.trim()}` : ''}`);
    // Its workers die with it (PR_SET_PDEATHSIG): they are reported killed once their connections close.
    const all = new Set([...this.#byToken.values(), ...this.#byPid.values()]);
    this.#byToken.clear();
    this.#byPid.clear();
    this.#spares = [];
    for (const forked of all)
      forked.ended(null, forked.pid === undefined ? null : 'SIGKILL', forked.pid === undefined ? failure : undefined);
  }
}

let serial = 0;

function droppedByHost(): Error {
  return Object.assign(new Error('the host dropped its connection (accept() out of descriptors)'), { code: 'EMFILE' });
}
const servers = new Map<string, ForkServer>();

function unrefStream(stream: unknown): void {
  (stream as { unref?: () => void }).unref?.();
}

function refStream(stream: unknown): void {
  (stream as { ref?: () => void }).ref?.();
}

function signalName(signal: number): NodeJS.Signals {
  for (const [name, value] of Object.entries(osSignals)) if (value === signal) return name as NodeJS.Signals;
  return 'SIGKILL';
}

function errnoName(errno: number): string | undefined {
  for (const [name, value] of Object.entries(osErrno)) if (value === errno) return name;
  return undefined;
}

const osSignals = constants.signals as Record<string, number>;
const osErrno = constants.errno as Record<string, number>;

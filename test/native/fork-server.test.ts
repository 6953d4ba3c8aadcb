// The fork server (native/zygote.c) driven through its host side
// (lib/workers/fork-server.ts): forked workers speak the same protocol as
// spawned ones, carry their own OS fence, and report exact exits; the zygote
// takes orders only about its own children and is replaced when it dies.
import { spawn } from 'node:child_process';
import { readFileSync, readlinkSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { FORK_SPARES, ForkServer } from '../../lib/workers/fork-server.js';
import { alive, waitFor } from '../helpers.js';
import { OS_SANDBOX, STRICT, WORKER_PATH } from './worker.js';

const HELLO = `export default { fetch() { return new Response('forked') } }`;

interface Forked {
  pid: () => number | undefined;
  /** Its protocol channel has connected back (what is sent before that is lost). */
  connected: () => boolean;
  kill: () => void;
  lines: string[];
  stderr: () => string;
  next: () => Promise<Record<string, unknown>>;
  send: (m: object) => void;
  end: () => void;
  exit: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    failure: Error | undefined;
  }>;
}

/**
 * Forks one worker and sends it `init` with `source` as soon as its channel
 * connects. `noNetwork`: for a fenced pool without network (a spare may be
 * taken); `capabilities` replace STRICT's fields.
 */
function fork(server: ForkServer, source: string | null = HELLO, noNetwork = false, capabilities: Partial<typeof STRICT> = {}): Forked {
  const lines: string[] = [];
  const waiting: ((m: Record<string, unknown>) => void)[] = [];
  let channel: Socket | undefined;
  let stderr = '';
  let buffer = '';
  let resolveExit!: (e: { code: number | null; signal: NodeJS.Signals | null; failure: Error | undefined }) => void;
  const exit = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    failure: Error | undefined;
  }>((r) => (resolveExit = r));
  const send = (m: object): void => void channel?.write(JSON.stringify(m) + '\n');
  const forked = server.fork({
    channel(socket) {
      channel = socket;
      socket.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let i: number;
        while ((i = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, i);
          buffer = buffer.slice(i + 1);
          lines.push(line);
          waiting.shift()?.(JSON.parse(line) as Record<string, unknown>);
        }
      });
      if (source !== null) {
        send({
          id: 0,
          type: 'init',
          payload: {
            protocol: 1,
            source,
            filename: 'handler.js',
            env: {},
            capabilities: { ...STRICT, ...capabilities },
            limits: {},
            osSandbox: OS_SANDBOX,
            workdir: null,
          },
        });
      }
    },
    output(socket) {
      socket.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    },
    exit(code, signal, failure) {
      resolveExit({ code, signal, failure });
    },
  }, noNetwork);
  return {
    pid: () => forked.pid,
    connected: () => channel !== undefined,
    kill: () => forked.kill(),
    lines,
    stderr: () => stderr,
    next: () => new Promise((resolve) => waiting.push(resolve)),
    send,
    end: () => channel?.end(),
    exit,
  };
}

function invoke(id: number): object {
  return {
    id,
    type: 'invoke',
    payload: {
      method: 'GET',
      url: 'http://fn/',
      headers: [],
      body: null,
      cpuMs: 0,
      timeoutMs: 0,
    },
  };
}

/** Exited: no such process, or a zombie its new parent has not reaped yet. */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

function status(pid: number): string {
  return readFileSync(`/proc/${pid}/status`, 'utf8');
}

// The sanitizer build writes its reports where scripts/test-asan.sh looks.
const ENV = Object.fromEntries(
  ['ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS'].flatMap((name) =>
    process.env[name] === undefined ? [] : [[name, process.env[name]!]],
  ),
);
const server = ForkServer.for(WORKER_PATH, ENV);
afterAll(() => server.stop());

describe('fork server', () => {
  it('forks a worker that answers ready and invocations, fenced as a spawned one', async () => {
    const w = fork(server);
    const ready = await w.next();
    expect(ready).toMatchObject({
      id: 0,
      type: 'ready',
      payload: { runtime: 'quickjs-ng', pid: w.pid() },
    });
    if (OS_SANDBOX) {
      const sandbox = (ready['payload'] as { sandbox: Record<string, unknown> }).sandbox;
      expect(sandbox).toMatchObject({
        seccomp: 'on',
        noNewPrivs: 'on',
        netns: 'on',
        rlimits: 'on',
      });
      // The worker cannot fork any more; the zygote, which never runs a handler, still can.
      expect(status(w.pid()!)).toMatch(/^Seccomp:\s+2$/m);
      expect(status(w.pid()!)).toMatch(/^NoNewPrivs:\s+1$/m);
      const hostSeccomp = /^Seccomp:\s+(\d)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
      expect(status(server.pid!)).toMatch(new RegExp(`^Seccomp:\\s+${hostSeccomp}$`, 'm'));
    }
    // The zygote is the worker's parent.
    const stat = readFileSync(`/proc/${w.pid()!}/stat`, 'utf8');
    expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])).toBe(server.pid);
    w.send(invoke(1));
    expect(await w.next()).toMatchObject({
      id: 1,
      type: 'response',
      payload: { status: 200 },
    });
    w.end();
    expect(await w.exit).toEqual({ code: 0, signal: null, failure: undefined });
  });

  // Spares are forked with their network namespace made: only fenced pools take them.
  it.runIf(OS_SANDBOX)('a fenced pool without network gets a spare, forked and prepared before it asked, fenced as any other', async () => {
    // The server has been used (the test above): its spares are forked.
    await waitFor(() => server.spares === FORK_SPARES);
    const w = fork(server, HELLO, true);
    // Its pid is known at once: it was forked before this call.
    expect(w.pid()).toBeGreaterThan(0);
    const ready = await w.next();
    expect(ready).toMatchObject({ type: 'ready', payload: { pid: w.pid() } });
    expect((ready['payload'] as { sandbox: Record<string, unknown> }).sandbox).toMatchObject({
      netns: 'on',
      seccomp: 'on',
      noNewPrivs: 'on',
      rlimits: 'on',
      capabilities: 'on',
    });
    expect(status(w.pid()!)).toMatch(/^Seccomp:\s+2$/m);
    // Its own network namespace, not the host's.
    expect(readlinkSync(`/proc/${w.pid()!}/ns/net`)).not.toBe(readlinkSync('/proc/self/ns/net'));
    w.send(invoke(1));
    expect(await w.next()).toMatchObject({ id: 1, type: 'response', payload: { status: 200 } });
    // The one taken is replaced.
    await waitFor(() => server.spares === FORK_SPARES);
    w.end();
    expect(await w.exit).toEqual({ code: 0, signal: null, failure: undefined });
  });

  it.runIf(OS_SANDBOX)('a worker forked for a pool without network refuses an init that allows network (42)', async () => {
    const w = fork(server, HELLO, true, { allowNetwork: true });
    expect(await w.exit).toMatchObject({ code: 42, signal: null });
    expect(w.stderr()).toMatch(/forked for a fenced pool without network/);
  });

  it('reports exit codes and kills exactly, through the zygote', async () => {
    const bad = fork(server, null);
    // A first line that is not init: the worker refuses its settings (42) and says why on its stderr.
    await waitFor(() => bad.connected());
    bad.send({ id: 0, type: 'hello', payload: {} });
    expect(await bad.exit).toMatchObject({ code: 42, signal: null });
    expect(bad.stderr()).toMatch(/first message must be of type init/);

    const w = fork(server);
    await w.next();
    const pid = w.pid()!;
    w.kill();
    expect(await w.exit).toEqual({
      code: null,
      signal: 'SIGKILL',
      failure: undefined,
    });
    expect(gone(pid)).toBe(true);
    // A kill after the exit is a no-op, never a signal to whoever has the pid now.
    w.kill();
  });

  it('a kill asked for before the fork completed still lands', async () => {
    const w = fork(server);
    w.kill();
    expect((await w.exit).signal).toBe('SIGKILL');
  });

  it('takes no orders about processes that are not its unreaped children', async () => {
    const socketDir = join(tmpdir(), `zygote-test-${process.pid}`);
    const bystander = spawn('sleep', ['30'], { stdio: 'ignore' });
    const zygote = spawn(WORKER_PATH, ['--zygote', join(socketDir, 's.sock')], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    const control = zygote.stdio[3] as Duplex;
    // The zygote stops reading at the over-long line: the rest of the write is reset.
    control.on('error', () => {});
    let stderr = '';
    zygote.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise((r) => zygote.once('exit', (code) => r(code)));
    control.write(`kill ${bystander.pid}\nkill ${process.pid}\nkill 1\nfork not-a-token\n${'x'.repeat(5000)}\n`);
    await waitFor(() => /too long/.test(stderr));
    expect(alive(bystander.pid!)).toBe(true);
    expect(stderr).toMatch(/ignoring an unknown command/);
    // A line it cannot hold ends it, as end-of-file does.
    expect(await exited).toBe(0);
    bystander.kill('SIGKILL');
  });

  it('refuses a socket path it cannot use', async () => {
    const zygote = spawn(WORKER_PATH, ['--zygote', 'relative.sock'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    const code = await new Promise((r) => zygote.once('exit', (c) => r(c)));
    expect(code).toBe(42);
  });

  it('drops connections that do not carry a live token', async () => {
    const w = fork(server);
    await w.next();
    const path = server.socketPath;
    for (const hello of ['0'.repeat(32) + ' 3\n', `${'z'.repeat(40)}\n`]) {
      const socket = connect(path);
      socket.on('error', () => {});
      socket.write(hello);
      await new Promise((r) => socket.once('close', r));
    }
    // The worker beside them is unaffected.
    w.send(invoke(1));
    expect(await w.next()).toMatchObject({ id: 1, type: 'response' });
    w.end();
    await w.exit;
  });

  it('a socket removed under a live host (a temp cleaner) is replaced; the old zygote stops once its workers are gone', async () => {
    const env = { ...ENV, BUNBASE_TEST_ZYGOTE: 'cleaner' };
    const old = ForkServer.for(WORKER_PATH, env);
    const w = fork(old);
    await w.next();
    rmSync(old.socketPath);
    const fresh = ForkServer.for(WORKER_PATH, env);
    expect(fresh).not.toBe(old);
    const w2 = fork(fresh);
    expect(await w2.next()).toMatchObject({ type: 'ready' });
    // The worker of the old one still serves, until it ends; then the old zygote goes.
    w.send(invoke(1));
    expect(await w.next()).toMatchObject({ id: 1, type: 'response' });
    expect(alive(old.pid!)).toBe(true);
    w.end();
    await w.exit;
    await waitFor(() => gone(old.pid!));
    w2.end();
    await w2.exit;
    fresh.stop();
  });

  it('when the zygote dies its workers go with it, and the next fork starts a new one', async () => {
    const local = ForkServer.for(WORKER_PATH, { BUNBASE_TEST_ZYGOTE: '1' });
    const w = fork(local);
    await w.next();
    const pid = w.pid()!;
    const first = local.pid!;
    process.kill(first, 'SIGKILL');
    expect(await w.exit).toMatchObject({ code: null, signal: 'SIGKILL' });
    await waitFor(() => gone(pid));
    // A fork asked of the dead server fails cleanly.
    const late = fork(local);
    expect((await late.exit).failure?.message).toMatch(/fork server/);
    const again = ForkServer.for(WORKER_PATH, { BUNBASE_TEST_ZYGOTE: '1' });
    expect(again).not.toBe(local);
    const w2 = fork(again);
    expect(await w2.next()).toMatchObject({ type: 'ready' });
    expect(again.pid).not.toBe(first);
    w2.end();
    await w2.exit;
    again.stop();
  });
});

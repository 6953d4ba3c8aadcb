import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapabilityOverrides } from 'bunbase-functions';
import { RUNTIMES, attack, checkAttack, useBystander, type AttackRow, labelled } from './harness.js';

/**
 * Raw sockets are never available: outbound network goes through the host's
 * fetch. The targets are a TCP and a UDP listener on 127.0.0.1 that count
 * what reaches them; a refused attack must reach neither.
 *
 * Nothing in a profile allows raw sockets, so the positive control of an
 * API-layer row is the one road to the same listener the entry cannot patch
 * (`Bun.fetch`, read-only) with the OS fence off: it reaches the listener, so
 * sockets work in Bun and the refusal is the sandbox's doing. OS-layer rows
 * are controlled by themselves, unfenced.
 */
let tcp: Server;
const open = new Set<import('node:net').Socket>();
let udp: UdpSocket;
let tcpPort = 0;
let udpPort = 0;
const reached: string[] = [];
/** What had reached the listeners before a row's checkAttack (whose fenced attack must add nothing). */
let controlBase = 0;

beforeAll(async () => {
  tcp = createServer((socket) => {
    reached.push('tcp');
    open.add(socket);
    // A client that resets the connection (Bun.RedisClient on an HTTP answer) is no error of the listener.
    socket.on('error', () => {});
    socket.on('close', () => open.delete(socket));
    socket.end('HTTP/1.0 200 OK\r\ncontent-length: 7\r\n\r\nreached');
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  tcpPort = (tcp.address() as { port: number }).port;
  udp = createSocket('udp4');
  udp.on('message', () => reached.push('udp'));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  udpPort = udp.address().port;
});
afterAll(async () => {
  for (const socket of open) socket.destroy();
  await new Promise((r) => tcp.close(r));
  await new Promise<void>((r) => udp.close(() => r()));
});

const STREAM_CONNECT = `const net = require('node:net'); return await new Promise((resolve, reject) => { const s = new net.Stream(); s.on('error', reject); s.connect(input.tcp, '127.0.0.1', () => { s.on('data', (d) => resolve(String(d).split('\\r\\n\\r\\n')[1])); }); });`;
const BUN_FETCH = `return await (await Bun.fetch('http://127.0.0.1:' + input.tcp + '/')).text();`;
const UNPATCHED_CONTROL = { body: BUN_FETCH, pool: { osSandbox: false }, check: (v: unknown) => expect(v).toBe('reached') };
const FFI_SOCKET = `const { dlopen } = require('bun:ffi'); const libc = dlopen('libc.so.6', { socket: { args: ['i32', 'i32', 'i32'], returns: 'i32' }, close: { args: ['i32'], returns: 'i32' } }); const fd = libc.symbols.socket(2, 1, 0); if (fd < 0) throw Object.assign(new Error('socket(AF_INET) returned ' + fd), { code: 'EPERM' }); libc.symbols.close(fd); return 'socket ' + (fd >= 0);`;
const NET_ALLOWED: CapabilityOverrides = { allowNetwork: true, allowedDomains: ['127.0.0.1'] };

const BUN: AttackRow[] = [
  { name: 'node:net connect', body: `return require('node:net').connect(input.tcp, '127.0.0.1');`, stop: 'api', control: UNPATCHED_CONTROL },
  { name: 'node:net createServer().listen', body: `return await new Promise((r, j) => require('node:net').createServer().listen(0, '127.0.0.1', r).on('error', j));`, stop: 'api', control: UNPATCHED_CONTROL },
  { name: 'node:dgram send', body: `const s = require('node:dgram').createSocket('udp4'); s.send('x', input.udp, '127.0.0.1'); return 'sent';`, stop: 'api', control: UNPATCHED_CONTROL },
  { name: 'node:http request (its own socket, not the host)', body: `return require('node:http').request('http://127.0.0.1:' + input.tcp + '/').end();`, stop: 'api', control: UNPATCHED_CONTROL },
  { name: 'new http.ClientRequest', body: `return await new Promise((resolve, reject) => { const r = new (require('node:http').ClientRequest)('http://127.0.0.1:' + input.tcp + '/', resolve); r.on('error', reject); r.end(); });`, stop: 'api', control: UNPATCHED_CONTROL },
  { name: 'Bun.connect', body: `return await Bun.connect({ hostname: '127.0.0.1', port: input.tcp, socket: { data() {} } });`, stop: 'api', control: UNPATCHED_CONTROL },
  { name: 'Bun.listen', body: `return Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } }).port;`, stop: 'api', control: UNPATCHED_CONTROL },
  { name: 'Bun.udpSocket', body: `const s = await Bun.udpSocket({}); s.send('x', input.udp, '127.0.0.1'); return 'sent';`, stop: 'api', control: UNPATCHED_CONTROL },
  { name: 'WebSocket', body: `const ws = new WebSocket('ws://127.0.0.1:' + input.tcp + '/'); return await new Promise((r, j) => { ws.onopen = r; ws.onerror = () => j(new Error('ws error')); });`, stop: 'api', control: UNPATCHED_CONTROL },
  { name: 'bun:ffi socket() from libc', body: FFI_SOCKET, stop: 'api', control: { caps: { allowChildProcess: true }, pool: { osSandbox: false }, check: (v) => expect(v).toBe('socket true') } },
  // net.Stream is an alias of net.Socket; the entry replaces it too now.
  { name: 'net.Stream (an alias of net.Socket)', body: STREAM_CONNECT, stop: 'api', control: UNPATCHED_CONTROL },
  { name: 'net.Stream with allowNetwork', body: STREAM_CONNECT, caps: NET_ALLOWED, stop: 'api', control: UNPATCHED_CONTROL },
  { name: "ESM `import { Socket } from 'node:net'`", prelude: `import { Socket } from 'node:net';`, body: `return await new Promise((resolve, reject) => { const s = new Socket(); s.on('error', reject); s.connect(input.tcp, '127.0.0.1', () => resolve('connected')); });`, stop: 'api', control: UNPATCHED_CONTROL },
  // Modules are patched when first loaded: every way of loading one must patch it first.
  { name: "import('node:net') (dynamic)", body: `const { connect } = await import('node:net'); return connect(input.tcp, '127.0.0.1');`, stop: 'api', control: UNPATCHED_CONTROL },
  { name: "process.getBuiltinModule('node:net')", body: `return process.getBuiltinModule('node:net').connect(input.tcp, '127.0.0.1');`, stop: 'api', control: UNPATCHED_CONTROL },
  {
    name: 'allowEval: a data: module that imports node:net statically',
    body: `const m = await import('data:text/javascript,import net from "node:net"; export default net;'); return m.default.connect(input.tcp, '127.0.0.1');`,
    caps: { allowEval: true },
    stop: 'api',
    control: UNPATCHED_CONTROL,
  },
  // The API layer lets these through.
  { name: 'Bun.fetch (read-only, not routed through the host)', body: BUN_FETCH, stop: 'os', control: { check: (v) => expect(v).toBe('reached') } },
  { name: 'Bun.fetch with allowNetwork and 127.0.0.1 listed', body: BUN_FETCH, caps: NET_ALLOWED, stop: 'os', control: { check: (v) => expect(v).toBe('reached') } },
  // Bun's native clients open their own sockets, not the host's fetch, and the entry does not patch them.
  {
    name: 'Bun.S3Client with a loopback endpoint (native HTTP client)',
    body: `const c = new Bun.S3Client({ accessKeyId: 'a', secretAccessKey: 'b', bucket: 'b', endpoint: 'http://127.0.0.1:' + input.tcp }); return await c.file('k').text();`,
    stop: 'os',
    codes: ['FailedToOpenSocket', 'EPERM'],
    control: { check: (v) => expect(v).toBe('reached') },
  },
  {
    name: 'Bun.RedisClient to a loopback port (native TCP client)',
    // The listener speaks HTTP, not Redis: the control's connection is counted by the listener, not by its answer.
    body: `const c = new Bun.RedisClient('redis://127.0.0.1:' + input.tcp, { connectionTimeout: 1000, autoReconnect: false, maxRetries: 0 }); let error; try { await c.connect(); } catch (e) { error = e; } finally { c.close(); } await new Promise((r) => setTimeout(r, 100)); if (error && !input.control) throw error; return 'tried';`,
    stop: 'os',
    codes: [/ERR_REDIS|FailedToOpenSocket|EPERM/],
    control: { input: { control: true }, check: () => expect(reached.length, 'the control reached the listener').toBeGreaterThan(controlBase) },
  },
  // maxMemory 0: no RLIMIT_DATA, under which JSC runs without its JIT and bun:ffi refuses to load at all.
  { name: 'bun:ffi socket() with allowChildProcess (the API layer lifted)', body: FFI_SOCKET, caps: { allowChildProcess: true, maxMemory: 0 }, stop: 'os', codes: ['EPERM'], control: { check: (v) => expect(v).toBe('socket true') } },
];

const QJS: AttackRow[] = [
  {
    name: 'WebSocket, node:net, node:dgram, Bun.connect do not exist (the API is absent)',
    body: `const found = []; for (const g of ['WebSocket', 'Bun', 'require', 'process', 'Deno']) if (g === 'process' ? typeof globalThis.process?.kill === 'function' : typeof globalThis[g] !== 'undefined') found.push(g); for (const m of ['node:net', 'node:dgram', 'net', 'qjs:os']) { try { await import(m); found.push(m); } catch {} } if (found.length) return found; throw Object.assign(new Error('no socket API'), { code: 'API_ABSENT' });`,
    caps: NET_ALLOWED,
    stop: 'absent',
    codes: ['API_ABSENT'],
    // The one road out, fetch through the host, does work with the same profile.
    control: { body: `return (await (await fetch('http://127.0.0.1:' + input.tcp + '/')).text());`, check: (v) => expect(v).toBe('reached') },
  },
];

describe.each(RUNTIMES)('%s: raw sockets', (runtime) => {
  useBystander(runtime);

  it.each(labelled(runtime === 'bun' ? BUN : QJS, (r) => `${r.name} is refused (${r.stop} layer)`))('%s', async (_label, row) => {
    const input = { tcp: tcpPort, udp: udpPort };
    const before = reached.length;
    const run = await attack(runtime, row.body, { caps: row.caps ?? {}, input, prelude: row.prelude ?? '' });
    expect(run.outcome, JSON.stringify(run.outcome)).toMatchObject({ ok: false });
    await new Promise((r) => setTimeout(r, 50));
    expect(reached.slice(before), 'what reached the listeners').toEqual([]);
    controlBase = reached.length;
    await checkAttack(runtime, { ...row, input, control: { ...row.control, input: { ...input, ...(row.control.input as object | undefined) } } });
  });

});

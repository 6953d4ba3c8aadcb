// A real worker under bunbase-launcher, driven over the protocol descriptor
// the way the pool drives it: init -> ready, then invocations of a handler
// that attacks from inside. Prints one "ok"/"FAIL" line per check and exits
// with the number of failures.
//
//   node worker-entry.mjs bun LAUNCHER WORKDIR BUN ENTRY LIB...   (dist/entry/bun.js)
//   node worker-entry.mjs quickjs LAUNCHER WORKDIR WORKER         (bunbase-worker, static)
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [kind, launcher, workdir, program, entry, ...libs] = process.argv.slice(2);
const label = `${kind} worker`;
const common = [
  '--workdir', workdir, '--write-file', '/dev/null', '--keep-fd', '3', '--max-fds', '64',
  '--cpu-seconds', '60', '--env', `HOME=${workdir}`,
  '--report-env', 'BUNBASE_SANDBOX', '--require',
];
const args =
  kind === 'bun'
    ? [...common, '--read', dirname(entry), ...libs.flatMap((lib) => ['--read', lib]),
       '--read', '/proc/self/maps', '--', program, '--smol', entry]
    : [...common, '--', program];

const source = `
export default {
  async fetch(req) {
    const what = new URL(req.url).pathname.slice(1);
    const tries = {
      hello: () => 'hi',
      passwd: () => require('node:fs').readFileSync('/etc/passwd', 'utf8'),
      spawn: () => Bun.spawnSync(['/bin/true']).exitCode,
      connect: () => Bun.connect({ hostname: '127.0.0.1', port: 9, socket: { data() {} } }),
      ffi: () => require('bun:ffi').dlopen('${libs.find((l) => l.includes('libc.so')) ?? 'libc.so.6'}', { getppid: { returns: 'int' }, kill: { args: ['int', 'int'], returns: 'int' } }).symbols.kill(1, 0),
    };
    try {
      const value = await tries[what]();
      return new Response('allowed ' + String(value).slice(0, 40));
    } catch (err) {
      return new Response('denied ' + (err.code || err.name));
    }
  },
};`;

const child = spawn(launcher, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
const channel = child.stdio[3];
let stderr = '';
child.stderr.on('data', (d) => (stderr += d));
channel.on('error', () => {});
child.on('exit', (code, signal) => {
  if (!readyMsg) check('worker exited before ready', false, { code, signal, stderr: stderr.slice(-1500) });
  process.exit(failures || 1);
});
let readyMsg;
let failures = 0;
const pending = new Map();
let buffered = '';
let ready;
const readyPromise = new Promise((resolve) => (ready = resolve));
channel.on('data', (chunk) => {
  buffered += chunk;
  let nl;
  while ((nl = buffered.indexOf('\n')) >= 0) {
    const msg = JSON.parse(buffered.slice(0, nl));
    buffered = buffered.slice(nl + 1);
    if (msg.type === 'ready' || (msg.id === 0 && msg.type === 'error')) ready(msg);
    else if (pending.has(msg.id) && (msg.type === 'response' || msg.type === 'error')) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
    }
  }
});
const send = (m) => channel.write(JSON.stringify(m) + '\n');
const profile = {
  projectId: 'fence', allowFilesystem: false, allowedPaths: [], readOnlyPaths: [], allowNetwork: false,
  allowedDomains: [], allowChildProcess: false, allowEval: false, maxMemory: 104857600, maxCpu: 30000,
  maxFileDescriptors: 10,
};
// The host rewrites a Bun bundle's import() to the entry's guarded loader and names it (BunWorker does the same).
const bunFields =
  kind === 'bun'
    ? (await import(pathToFileURL(join(dirname(entry), '..', 'workers', 'bun-dynamic-imports.js')).href)).guardBundle(source)
    : { source };
send({ id: 0, type: 'init', payload: { protocol: 1, source, ...bunFields, filename: 'attack.js', env: {}, capabilities: profile,
  limits: { maxBodyBytes: 1 << 20, maxLogBytes: 1 << 16 },
  // The launcher fenced this process already; a second fence from inside would need the
  // very calls (unshare, landlock_create_ruleset) the first one refuses.
  osSandbox: false } });


const check = (name, ok, detail) => {
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}: ${name.padEnd(36)} ${JSON.stringify(detail).slice(0, 160)}`);
};
const timeout = setTimeout(() => {
  check('answered within 20 s', false, stderr.slice(-800));
  child.kill('SIGKILL');
  process.exit(failures);
}, 20000);

readyMsg = await readyPromise;
check('ready under the fence', readyMsg.type === 'ready', readyMsg);
let id = 1;
const invoke = (path) =>
  new Promise((resolve) => {
    const n = id++;
    pending.set(n, resolve);
    send({ id: n, type: 'invoke', payload: { method: 'GET', url: `http://fn/${path}`, headers: [], body: null, cpuMs: 0, timeoutMs: 0 } });
  });
const text = (msg) => (msg.type === 'response' && msg.payload.body ? Buffer.from(msg.payload.body, 'base64').toString() : JSON.stringify(msg.payload));
if (readyMsg.type === 'ready') {
  check('hello', text(await invoke('hello')) === 'allowed hi', text(await invoke('hello')));
  for (const attack of ['passwd', 'spawn', 'connect', 'ffi']) {
    const out = text(await invoke(attack));
    check(`${attack} denied`, !out.startsWith('allowed') || out === 'allowed -1', out);
  }
}
clearTimeout(timeout);
channel.end();
child.kill('SIGTERM');
process.exit(failures);

// Runs inside Bun under bunbase-launcher. Tries what a hostile handler would
// and prints one JSON line: for each probe, "ok" (it worked) or the error.
// test-sandbox.sh decides which outcome each probe must have.
const port = Number(process.argv[2]);
const results = {};

async function probe(name, fn) {
  try {
    const value = await fn();
    results[name] = value === undefined ? 'ok' : value;
  } catch (err) {
    results[name] = `denied: ${err && (err.code || err.name)}: ${String(err && err.message).slice(0, 120)}`;
  }
}

await probe('sum', () => String(1 + 1));
await probe('readSelf', async () => {
  const text = await Bun.file(import.meta.path).text();
  if (!text.includes('bun-probe')) throw new Error('entry file content not found');
});
await probe('bunFilePasswd', async () => { await Bun.file('/etc/passwd').text(); });
await probe('fsPasswd', async () => { (await import('node:fs')).readFileSync('/etc/passwd', 'utf8'); });
await probe('procEnviron', async () => { (await import('node:fs')).readFileSync('/proc/self/environ', 'utf8'); });
await probe('writeWorkdir', async () => {
  await Bun.write('probe-output.txt', 'x');
});
await probe('writeTmp', async () => {
  await Bun.write('/tmp/bunbase-fence-escape.txt', 'x');
});
await probe('bunSpawn', async () => {
  const p = Bun.spawn(['/bin/true']);
  const code = await p.exited;
  if (code !== 0) throw new Error(`exit ${code}`);
});
await probe('childProcess', async () => {
  const cp = await import('node:child_process');
  const r = cp.spawnSync('/bin/true');
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`status ${r.status}`);
});
await probe('fetchLoopback', async () => {
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3000) });
  await res.text();
});
await probe('bunConnect', async () => {
  await new Promise((resolve, reject) => {
    Bun.connect({
      hostname: '127.0.0.1',
      port,
      socket: { open(s) { s.end(); resolve(); }, data() {}, error(_s, e) { reject(e); }, connectError(_s, e) { reject(e); } },
    }).catch(reject);
  });
});
await probe('bunListen', async () => {
  const server = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  server.stop(true);
});
await probe('killParent', () => {
  process.kill(process.ppid, 0);
});
await probe('worker', async () => {
  const src = 'self.onmessage = (e) => postMessage(e.data * 2);';
  const url = URL.createObjectURL(new Blob([src], { type: 'application/javascript' }));
  const w = new Worker(url);
  const doubled = await new Promise((resolve, reject) => {
    w.onmessage = (e) => resolve(e.data);
    w.onerror = (e) => reject(new Error(e.message));
    w.postMessage(21);
    setTimeout(() => reject(new Error('worker timeout')), 5000);
  });
  w.terminate();
  if (doubled !== 42) throw new Error(`worker said ${doubled}`);
});
// Native code through bun:ffi gets no further: the fence is below the runtime.
const libc = (() => {
  try {
    const { dlopen, FFIType } = require('bun:ffi');
    return dlopen(process.argv[3] || 'libc.so.6', {
      socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
      kill: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
      close: { args: [FFIType.i32], returns: FFIType.i32 },
    }).symbols;
  } catch (err) {
    results.ffiLoad = `denied: ${err.message}`;
    return null;
  }
})();
await probe('ffiSocketInet', () => {
  const fd = libc.socket(2, 1, 0);
  if (fd < 0) throw new Error('socket() returned -1');
  libc.close(fd);
});
await probe('ffiKillInit', () => {
  if (libc.kill(1, 0) !== 0) throw new Error('kill() returned -1');
});
await probe('reportEnv', () => {
  const r = JSON.parse(process.env.BUNBASE_SANDBOX ?? 'null');
  if (!r || r.landlock !== 'on' || r.seccomp !== 'on') throw new Error(`report: ${process.env.BUNBASE_SANDBOX}`);
  delete process.env.BUNBASE_SANDBOX;
});
await probe('envKeys', () => Object.keys(process.env).sort().join(',').slice(0, 200));

console.log(JSON.stringify(results));
process.exit(0);

// What a user does: `npm run pack`, then install the tarballs into fresh apps
// with --omit=dev and run a quick start with requireOsSandbox on both runtimes.
//   1. prebuilt: the main tarball and this machine's platform tarball, no install script allowed,
//      with nothing on PATH but node, npm and sh (no compiler, cmake, pkg-config);
//   2. source build: the main tarball only, its install script allowed in allowScripts (it builds with cmake-js);
//   3. no libuv: as 2 with pkg-config looking nowhere: the install succeeds and
//      createPool('quickjs-ng') says which package to install; Bun keeps its fence;
//   4. scripts skipped (--ignore-scripts): the main tarball only: the message says how to allow the script,
//      and quickjs-wasm (no native part) answers; so it does in 1 and 5;
//   5. no tools: the main tarball only, script allowed, only node, npm and sh on PATH: the message
//      names the compiler, cmake, pkg-config and libuv packages;
//   6. forced source build: both tarballs, BUNBASE_BUILD_FROM_SOURCE=1: the install script builds even
//      though the prebuilt package fits, and the quick start runs on what it built;
//   7. registry: both tarballs and better-sqlite3 (built from source): the packaged
//      examples/functions-server.mjs runs; without better-sqlite3 (case 1) createRegistry says how to install it.
// Third-party packages come from the npm cache (--prefer-offline); the
// @bunbase-functions scope points at a closed loopback port, so nothing of ours
// is ever fetched from a registry. Prints install times and sizes, then `N passed, N failed`.
//   node scripts/test-package.mjs [--no-pack] [--case=<name>,...]
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const results = { passed: 0, failed: 0 };
const measurements = [];

function check(name, ok, detail = '') {
  if (ok) results.passed++;
  else results.failed++;
  console.log(
    `${ok ? 'ok' : 'not ok'} - ${name}${ok || detail === '' ? '' : `\n    ${detail.trim().split('\n').slice(-15).join('\n    ')}`}`,
  );
}

function run(command, args, options = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    timeout: 20 * 60_000,
    maxBuffer: 64 << 20,
    ...options,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    status: result.status,
    output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`,
    seconds,
  };
}

function du(path) {
  const r = run('du', ['-sb', path]);
  return r.status === 0 ? Number(r.output.split('\t')[0]) : NaN;
}

const only = process.argv
  .find((a) => a.startsWith('--case='))
  ?.slice('--case='.length)
  .split(',');
const wanted = (name) => only === undefined || only.includes(name);

const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

if (!process.argv.includes('--no-pack')) {
  const pack = run('npm', ['run', 'pack'], { cwd: root });
  check('npm run pack writes the tarballs', pack.status === 0, pack.output);
}
const tarballs = existsSync(join(root, 'dist-pack'))
  ? readdirSync(join(root, 'dist-pack')).filter((f) => f.endsWith('.tgz'))
  : [];
const main = tarballs.find((f) => /^bunbase-functions-\d/.test(f));
const platform = tarballs.find((f) => f.startsWith('bunbase-functions-linux-x64-gnu-'));
check(
  'dist-pack holds the main and the linux-x64-gnu tarballs',
  main !== undefined && platform !== undefined,
  tarballs.join(', '),
);
if (main === undefined || platform === undefined) finish();

const work = mkdtempSync(join(tmpdir(), 'bunbase-package-'));
const emptyPkgConfigDir = join(work, 'no-pkg-config');
mkdirSync(emptyPkgConfigDir);
// A PATH with node, npm and sh only: what a machine without build tools offers.
const barePath = join(work, 'bare-path');
mkdirSync(barePath);
for (const tool of ['node', 'npm', 'sh']) {
  const found = run('sh', ['-c', `command -v ${tool}`]).output.trim();
  symlinkSync(realpathSync(found), join(barePath, tool));
}
const bareEnv = { PATH: barePath };

const QUICK_START = `
import { createPool, profiles } from 'bunbase-functions';
const runtime = process.argv[2];
const pool = createPool({
  runtime,
  capabilities: profiles.strict('package-test'),
  // quickjs-wasm has no OS layer (requireOsSandbox refuses it); the others must be fenced.
  requireOsSandbox: runtime !== 'quickjs-wasm',
  env: { GREETING: 'Hello' },
  source: { code: 'export default { async fetch(req, env) { const { n } = await req.json(); return Response.json({ text: env.GREETING + " " + n }) } }' },
});
try {
  const res = await pool.invoke({ method: 'POST', path: '/', body: JSON.stringify({ n: runtime }) });
  console.log(JSON.stringify({ status: res.status, body: res.json() }));
} finally {
  await pool.close();
}
`;

const EXPECT_UNAVAILABLE = `
import { createPool, profiles } from 'bunbase-functions';
try {
  createPool({ runtime: 'quickjs-ng', capabilities: profiles.strict('p'), source: { code: 'export default () => new Response()' } });
  console.log(JSON.stringify({ threw: false }));
} catch (error) {
  console.log(JSON.stringify({ code: error.code, message: error.message }));
}
`;

// A CommonJS host: require() of the package (Node 20.19 and later load the ES module; older ones get a clear error).
const COMMONJS_HOST = `
const { createPool, profiles } = require('bunbase-functions');
(async () => {
  const pool = createPool({ runtime: 'quickjs-wasm', capabilities: profiles.strict('p'), source: { code: "export default { fetch() { return new Response('from require') } }" } });
  try {
    console.log(JSON.stringify({ text: (await pool.invoke({ path: '/' })).text() }));
  } finally {
    await pool.close();
  }
})();
`;

const REGISTRY_WITHOUT_STORE = `
import { createRegistry } from 'bunbase-functions';
try {
  await createRegistry({ database: 'functions.db' });
  console.log(JSON.stringify({ threw: false }));
} catch (error) {
  console.log(JSON.stringify({ code: error.code, message: error.message }));
}
`;

/** A fresh app with the given tarballs installed; returns the app directory and the install result. */
function install(name, files, { allowScripts = false, ignoreScripts = false, env = {}, also = [] } = {}) {
  const app = join(work, name);
  mkdirSync(app);
  // npm 11 matches a tarball dependency's allowScripts entry on its resolved file: spec.
  const allowed = allowScripts ? { [`file:${join(root, 'dist-pack', files[0])}`]: true } : {};
  for (const spec of also) allowed[spec.replace(/@[^@/]*$/, '')] = true;
  const allow = Object.keys(allowed).length > 0 ? { allowScripts: allowed } : {};
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: `app-${name}`,
      private: true,
      type: 'module',
      ...allow,
    }),
  );
  writeFileSync(join(app, 'quick-start.mjs'), QUICK_START);
  writeFileSync(join(app, 'expect-unavailable.mjs'), EXPECT_UNAVAILABLE);
  writeFileSync(join(app, 'registry-without-store.mjs'), REGISTRY_WITHOUT_STORE);
  writeFileSync(join(app, 'commonjs-host.cjs'), COMMONJS_HOST);
  const args = ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'];
  // Our scope never reaches a registry: a closed loopback port, one quick retry.
  args.push('--@bunbase-functions:registry=http://127.0.0.1:9/', '--fetch-retries=1', '--fetch-retry-mintimeout=500');
  if (ignoreScripts) args.push('--ignore-scripts');
  args.push(...files.map((f) => join(root, 'dist-pack', f)), ...also);
  const result = run('npm', args, {
    cwd: app,
    env: { ...process.env, ...env },
  });
  check(`${name}: npm install succeeds`, result.status === 0, result.output);
  const size = du(join(app, 'node_modules'));
  const ours =
    du(join(app, 'node_modules', 'bunbase-functions')) +
    (existsSync(join(app, 'node_modules', '@bunbase-functions'))
      ? du(join(app, 'node_modules', '@bunbase-functions'))
      : 0);
  measurements.push(
    `${name}: npm install ${result.seconds.toFixed(1)} s; node_modules ${mb(size)}, of which bunbase-functions${files.length > 1 ? ' + platform package' : ''} ${mb(ours)}`,
  );
  return { app, result };
}

function quickStart(name, app, runtime, env = {}) {
  const r = run(process.execPath, ['quick-start.mjs', runtime], {
    cwd: app,
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
  const line = r.output.split('\n').find((l) => l.startsWith('{'));
  let parsed;
  try {
    parsed = JSON.parse(line ?? '');
  } catch {
    parsed = undefined;
  }
  check(
    `${name}: quick start on ${runtime}${runtime === 'quickjs-wasm' ? '' : ' with requireOsSandbox'}`,
    r.status === 0 && parsed?.status === 200 && parsed.body.text === `Hello ${runtime}`,
    r.output,
  );
}

function unavailable(app) {
  const r = run(process.execPath, ['expect-unavailable.mjs'], { cwd: app });
  try {
    return JSON.parse(r.output.split('\n').find((l) => l.startsWith('{')) ?? '');
  } catch {
    return { output: r.output };
  }
}

const built = (app, binary) => existsSync(join(app, 'node_modules', 'bunbase-functions', 'build', 'Release', binary));

// 1. Prebuilt, on a machine without build tools.
if (wanted('prebuilt')) {
  const { app } = install('prebuilt', [main, platform], { env: bareEnv });
  check(
    'prebuilt: nothing was compiled at install',
    !existsSync(join(app, 'node_modules', 'bunbase-functions', 'build')),
  );
  quickStart('prebuilt', app, 'quickjs-ng', bareEnv);
  quickStart('prebuilt', app, 'bun', bareEnv);
  quickStart('prebuilt', app, 'quickjs-wasm', bareEnv);
  const cjs = run(process.execPath, ['commonjs-host.cjs'], { cwd: app, timeout: 120_000 });
  check(
    'prebuilt: a CommonJS host require()s the package and runs a handler',
    cjs.status === 0 && cjs.output.includes('{"text":"from require"}'),
    cjs.output,
  );
  const r = run(process.execPath, ['registry-without-store.mjs'], { cwd: app });
  let error;
  try {
    error = JSON.parse(r.output.split('\n').find((l) => l.startsWith('{')) ?? '');
  } catch {
    error = { output: r.output };
  }
  check(
    'prebuilt: createRegistry without better-sqlite3 says how to install it',
    error.code === 'RUNTIME_UNAVAILABLE' && /npm install better-sqlite3/.test(error.message),
    JSON.stringify(error, null, 2),
  );
}

// 2. Source build.
if (wanted('source')) {
  const { app, result } = install('source', [main], { allowScripts: true });
  check('source: no platform package was installed', !existsSync(join(app, 'node_modules', '@bunbase-functions')));
  check(
    'source: the install script built both binaries',
    built(app, 'bunbase-worker') && built(app, 'bunbase-launcher'),
    result.output,
  );
  quickStart('source', app, 'quickjs-ng');
  quickStart('source', app, 'bun');
}

// 3. libuv cannot be found.
if (wanted('no-libuv')) {
  const env = {
    PKG_CONFIG_LIBDIR: emptyPkgConfigDir,
    PKG_CONFIG_PATH: emptyPkgConfigDir,
  };
  const { app, result } = install('no-libuv', [main], {
    allowScripts: true,
    env,
  });
  // npm shows an install script's output only when it fails, so the record is what the user gets.
  const record = join(app, 'node_modules', 'bunbase-functions', 'build', 'install-failure.json');
  const recorded = existsSync(record) ? readFileSync(record, 'utf8') : '';
  check('no-libuv: the install records that libuv is missing', /"libuv"/.test(recorded), recorded || result.output);
  check(
    'no-libuv: the launcher is still built, the worker is not',
    built(app, 'bunbase-launcher') && !built(app, 'bunbase-worker'),
  );
  const error = unavailable(app);
  const wanted = [
    'RUNTIME_UNAVAILABLE',
    'libuv',
    'sudo apt-get install libuv1-dev',
    'sudo dnf install libuv-devel',
    'apk add libuv-dev',
    'brew install libuv',
    'npm rebuild bunbase-functions',
  ];
  check(
    'no-libuv: createPool(quickjs-ng) throws RUNTIME_UNAVAILABLE naming the package on each system',
    error.code === 'RUNTIME_UNAVAILABLE' && wanted.every((w) => `${error.code} ${error.message}`.includes(w)),
    JSON.stringify(error, null, 2),
  );
  quickStart('no-libuv', app, 'bun');
}

// 4. The install script does not run and no prebuilt package is installed.
if (wanted('scripts-skipped')) {
  const { app } = install('scripts-skipped', [main], { ignoreScripts: true });
  const error = unavailable(app);
  check(
    'scripts-skipped: createPool(quickjs-ng) says how to allow the install script',
    error.code === 'RUNTIME_UNAVAILABLE' && error.message.includes('npm install-scripts approve bunbase-functions'),
    JSON.stringify(error, null, 2),
  );
  // No native binary at all: quickjs-wasm needs none.
  quickStart('scripts-skipped', app, 'quickjs-wasm');
}

// 5. No build tools at all: the source fallback cannot run, and says what to install.
if (wanted('no-tools')) {
  const { app } = install('no-tools', [main], { allowScripts: true, env: bareEnv });
  const error = unavailable(app);
  const wanted = [
    'RUNTIME_UNAVAILABLE',
    'sudo apt-get install build-essential cmake pkg-config libuv1-dev',
    'sudo dnf install gcc cmake pkgconf-pkg-config libuv-devel',
    'apk add build-base linux-headers cmake pkgconf libuv-dev',
    'brew install cmake pkgconf libuv',
    'npm rebuild bunbase-functions',
  ];
  check(
    'no-tools: createPool(quickjs-ng) throws RUNTIME_UNAVAILABLE naming every package to install',
    error.code === 'RUNTIME_UNAVAILABLE' && wanted.every((w) => `${error.code} ${error.message}`.includes(w)),
    JSON.stringify(error, null, 2),
  );
  quickStart('no-tools', app, 'quickjs-wasm', bareEnv);
}

// 6. A source build forced over a fitting prebuilt package.
if (wanted('forced-source')) {
  const { app, result } = install('forced-source', [main, platform], {
    allowScripts: true,
    env: { BUNBASE_BUILD_FROM_SOURCE: '1' },
  });
  check(
    'forced-source: the install script built both binaries next to the prebuilt package',
    built(app, 'bunbase-worker') &&
      built(app, 'bunbase-launcher') &&
      existsSync(join(app, 'node_modules', '@bunbase-functions', 'linux-x64-gnu')),
    result.output,
  );
  quickStart('forced-source', app, 'quickjs-ng');
  quickStart('forced-source', app, 'bun');
}

// 7. The registry: better-sqlite3 (the optional peer) installed beside the tarballs,
// built from source as the repository's own set-up does; the shipped example runs.
if (wanted('registry')) {
  const { app, result } = install('registry', [main, platform], {
    also: ['better-sqlite3@^12'],
    env: { npm_config_build_from_source: 'true' },
  });
  const example = join(app, 'node_modules', 'bunbase-functions', 'examples', 'functions-server.mjs');
  const r = run(process.execPath, [example], { cwd: app, timeout: 180_000 });
  check(
    'registry: examples/functions-server.mjs from the package runs against better-sqlite3',
    r.status === 0,
    `${result.output}\n${r.output}`,
  );
}

rmSync(work, { recursive: true, force: true });
for (const m of measurements) console.log(`  ${m}`);
finish();

function finish() {
  console.log(`${results.passed} passed, ${results.failed} failed`);
  process.exit(results.failed === 0 ? 0 : 1);
}

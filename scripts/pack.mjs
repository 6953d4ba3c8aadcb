// `npm run pack`: writes every tarball a user gets from the registry into dist-pack/:
//   bunbase-functions-<v>.tgz                   the library, with the sources for a build at install
//   bunbase-functions-linux-x64-gnu-<v>.tgz     this machine's prebuilt binaries (when one is published for it)
// Each is staged in dist-pack/.stage/ with its own package.json, then `npm pack`ed.
// Run after `npm run build` and `npm run build:native` (the `pack` script does both).
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NATIVE_BINARIES, PREBUILT_PLATFORMS, SOURCE_BUILD_DIR, platformKey } from '../dist/workers/native-platform.js';
import { pinnedTreeSha256, treeSha256 } from './tree-sha256.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist-pack');
const stage = join(out, '.stage');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function die(message) {
  process.stderr.write(`pack: ${message}\n`);
  process.exit(1);
}

function copy(from, to, filter = () => true) {
  if (!existsSync(from)) die(`${from} is missing`);
  cpSync(from, to, {
    recursive: true,
    filter: (src) => statSync(src).isDirectory() || filter(src),
  });
}

function writeJson(path, value) {
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

function npmPack(dir) {
  const [result] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', out], {
      cwd: dir,
      encoding: 'utf8',
    }),
  );
  return result;
}

/** QuickJS-NG sources: QUICKJS_NG_SRC, the fetched copy, or Debian's qjs-src, checked against the pin. */
function quickjsSources() {
  const pinned = pinnedTreeSha256(join(root, 'native', 'deps.lock'));
  const candidates = [process.env.QUICKJS_NG_SRC, join(root, 'native', 'deps', 'quickjs-ng'), '/usr/src/quickjs-ng'];
  for (const dir of candidates) {
    if (dir === undefined || dir === '' || !existsSync(join(dir, 'quickjs.c'))) continue;
    const actual = treeSha256(dir);
    if (actual !== pinned)
      die(`QuickJS-NG sources in ${dir} do not match native/deps.lock (sha256 ${actual}, pinned ${pinned})`);
    return dir;
  }
  return die('no QuickJS-NG sources found: run `bash scripts/fetch-deps.sh` first');
}

/** The lazily evaluated prelude parts, from their one list in CMakeLists.txt. */
function preludeParts() {
  const list = /^set\(QW_PRELUDE_PARTS ([^)]*)\)/m.exec(readFileSync(join(root, 'CMakeLists.txt'), 'utf8'))?.[1];
  return list === undefined ? die('no QW_PRELUDE_PARTS in CMakeLists.txt') : list.trim().split(/\s+/);
}

function stageMain(dir) {
  const isSource = (src) => /\.(c|h)$/.test(src);
  copy(join(root, 'dist'), join(dir, 'dist'), (src) => !src.endsWith('.map'));
  mkdirSync(join(dir, 'native', 'tools'), { recursive: true });
  for (const name of readdirSync(join(root, 'native'))) {
    if (isSource(name) || name === 'deps.lock') copy(join(root, 'native', name), join(dir, 'native', name));
  }
  copy(join(root, 'native', 'tools', 'compile.c'), join(dir, 'native', 'tools', 'compile.c'));
  copy(quickjsSources(), join(dir, 'native', 'deps', 'quickjs-ng'), (src) => !src.endsWith('.qjs-src-version'));
  // The prelude exactly as bundled into the prebuilt worker (build/gen, written by build:native).
  mkdirSync(join(dir, 'native', 'prelude-bundled'));
  for (const part of ['prelude', ...preludeParts().map((p) => `prelude-${p}`)]) {
    copy(join(root, 'build', 'gen', `${part}.js`), join(dir, 'native', 'prelude-bundled', `${part}.js`));
  }
  for (const name of ['install.mjs', 'tree-sha256.mjs']) copy(join(root, 'scripts', name), join(dir, 'scripts', name));
  for (const name of ['CMakeLists.txt', 'LICENSE', 'README.md', 'CHANGELOG.md', 'docs', 'examples']) {
    copy(join(root, name), join(dir, name), (src) => !src.includes('/node_modules/'));
  }
  const { devDependencies: _dev, scripts: _scripts, allowScripts: _allowScripts, ...published } = pkg;
  writeJson(join(dir, 'package.json'), {
    ...published,
    scripts: { install: 'node scripts/install.mjs' },
    optionalDependencies: Object.fromEntries(PREBUILT_PLATFORMS.map((p) => [p.packageName, pkg.version])),
  });
  for (const entry of pkg.files)
    if (!existsSync(join(dir, entry))) die(`package.json "files" lists ${entry}, which is not in the package`);
}

function stagePlatform(dir, platform) {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  for (const binary of NATIVE_BINARIES) {
    const target = join(dir, 'bin', binary);
    copy(join(SOURCE_BUILD_DIR, binary), target);
    execFileSync('strip', [target]);
    chmodSync(target, 0o755);
  }
  writeFileSync(
    join(dir, 'LICENSE'),
    readFileSync(join(root, 'LICENSE'), 'utf8') + readFileSync(join(root, 'npm', 'platform', 'LICENSE.extra'), 'utf8'),
  );
  writeFileSync(
    join(dir, 'README.md'),
    `# ${platform.packageName}\n\nThe ${platform.key} binaries of [bunbase-functions](https://www.npmjs.com/package/bunbase-functions): ` +
      '`bunbase-worker` (the QuickJS-NG runtime) and `bunbase-launcher` (the OS fence around Bun), both linked statically.\n\n' +
      'Do not install this package directly: `npm install bunbase-functions` picks it through `optionalDependencies`.\n',
  );
  writeJson(join(dir, 'package.json'), {
    name: platform.packageName,
    version: pkg.version,
    description: `The ${platform.key} native binaries of bunbase-functions.`,
    license: 'MIT AND Zlib AND LGPL-2.1-or-later',
    os: [platform.os],
    cpu: [platform.cpu],
    ...(platform.libc === undefined ? {} : { libc: [platform.libc] }),
    files: ['bin'],
    preferUnplugged: true,
  });
}

rmSync(out, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
const tarballs = [];
stageMain(join(stage, 'main'));
tarballs.push(npmPack(join(stage, 'main')));
const platform = PREBUILT_PLATFORMS.find((p) => p.key === platformKey());
if (platform === undefined) {
  process.stderr.write(`pack: no prebuilt package is published for ${platformKey()}; packed the main package only\n`);
} else {
  stagePlatform(join(stage, platform.key), platform);
  tarballs.push(npmPack(join(stage, platform.key)));
}
rmSync(stage, { recursive: true, force: true });
for (const t of tarballs) {
  console.log(
    `dist-pack/${t.filename}  ${(t.size / 1024).toFixed(0)} kB packed, ${(t.unpackedSize / 1024).toFixed(0)} kB unpacked, ${t.entryCount} files`,
  );
}

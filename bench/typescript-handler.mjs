// Benchmark (not a test): the hono + zod example of examples/typescript-handler.
// Each sample runs in a fresh Node process, so nothing is cached in memory.
//   node bench/typescript-handler.mjs              both runtimes
//   BENCH_RUNTIMES=bun node bench/typescript-handler.mjs
// Measures: a full build (esbuild's start included); a pool's cold start to the
// first response with the bundle in the disk cache; the same with the bundle's
// text passed as source.code (no bundling, no cache lookup) as the baseline.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../examples/typescript-handler/handler.ts', import.meta.url));
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const runtimes = (process.env.BENCH_RUNTIMES ?? 'quickjs-ng,bun').split(',');
const RUNS = Number(process.env.BENCH_RUNS ?? 9);

const SAMPLE = `
const { buildHandler, createPool, profiles } = await import(process.env.DIST);
const { mode, runtime, entry, cacheDir } = JSON.parse(process.env.SAMPLE);
if (mode === 'build') {
  const b = await buildHandler(entry, { runtime, cacheDir: false });
  process.stdout.write(JSON.stringify({ ms: b.buildMs, bytes: b.code.length, inputs: b.inputs.length }));
} else {
  const source = mode === 'cached' ? { entry, cacheDir } : { code: (await buildHandler(entry, { runtime, cacheDir })).code };
  const t0 = performance.now();
  const pool = createPool({ runtime, capabilities: profiles.strict('bench'), env: { GREETING: 'Hello' }, source });
  const created = performance.now() - t0;
  const res = await pool.invoke({ path: '/hello/bench' });
  const ms = performance.now() - t0;
  if (res.text() !== 'Hello, bench!') throw new Error('unexpected answer ' + res.text());
  await pool.close();
  process.stdout.write(JSON.stringify({ ms, created }));
}`;

function sample(mode, runtime, cacheDir) {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', SAMPLE], {
    env: { ...process.env, DIST: dist, SAMPLE: JSON.stringify({ mode, runtime, entry, cacheDir }) },
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const cacheDir = mkdtempSync(join(tmpdir(), 'bunbase-bench-cache-'));
try {
  for (const runtime of runtimes) {
    process.stderr.write(`measuring ${runtime}...\n`);
    const builds = Array.from({ length: RUNS }, () => sample('build', runtime));
    sample('cached', runtime, cacheDir); // fills the disk cache
    const cached = [];
    const plain = [];
    // Interleaved, so machine load drifts over both alike.
    for (let i = 0; i < RUNS; i++) {
      cached.push(sample('cached', runtime, cacheDir));
      plain.push(sample('code', runtime, cacheDir));
    }
    const b = median(builds.map((s) => s.ms));
    const c = median(cached.map((s) => s.ms));
    const p = median(plain.map((s) => s.ms));
    console.log(`${runtime}: bundle ${builds[0].bytes} bytes from ${builds[0].inputs} files`);
    console.log(`  build, fresh process (median of ${RUNS}):                    ${b.toFixed(0)} ms`);
    console.log(
      `  cold start, source.entry from the disk cache, to 1st answer: ${c.toFixed(1)} ms (createPool itself ${median(cached.map((s) => s.created)).toFixed(1)} ms)`,
    );
    console.log(
      `  cold start, same bundle as source.code, to 1st answer:       ${p.toFixed(1)} ms (ratio ${(c / p).toFixed(2)})`,
    );
  }
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}

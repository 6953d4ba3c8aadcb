import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { createPool, profiles, type CapabilityOverrides, type RuntimeName } from 'bunbase-functions';
import { RUNTIMES } from '../helpers.js';

/**
 * The real-package suite: each file in cases/ exports `run(request)` using one
 * popular package. The set-up bundles it with esbuild for each platform, runs
 * it once in plain Node (the reference) and once in a pool per runtime under
 * profiles.strict; the two must give the same answer.
 *
 * To add a runtime, add it to RUNTIMES in test/helpers.ts. To add a case, add
 * a file to cases/. A case that cannot match Node yet goes to expected-gaps.ts.
 */
export const PACKAGE_RUNTIMES: RuntimeName[] = RUNTIMES;
export const PLATFORMS = ['browser', 'node'] as const;
export type Platform = (typeof PLATFORMS)[number];

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');

/** The one request every case gets, in the pool and in Node. */
export const REQUEST = {
  method: 'POST',
  url: 'http://localhost/run?x=1',
  headers: { 'content-type': 'application/json', cookie: 'a=1; b=two%20words' },
  body: '{"hello":"world"}',
};

export type Outcome = { status: number; body: unknown } | { error: string; message: string };

/** What a pool answered, and the capabilities it reported denied on the way. */
export type PoolOutcome = Outcome & { denials: string[] };

/** Runs a bundle once under profiles.strict (plus `overrides`) in a fresh pool of `runtime`. */
export async function runInPool(runtime: RuntimeName, code: string, overrides: CapabilityOverrides = {}): Promise<PoolOutcome> {
  const capabilities = { ...profiles.strict('packages'), ...overrides };
  const pool = createPool({ runtime, capabilities, source: { code }, timeoutMs: 20_000 });
  const denials: string[] = [];
  pool.on('denied', (d) => denials.push(d.capability));
  try {
    const response = await pool.invoke({ method: REQUEST.method, path: '/run?x=1', headers: REQUEST.headers, body: REQUEST.body });
    return { status: response.status, body: response.json(), denials };
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return { error: e.code ?? 'Error', message: String(e.message), denials };
  } finally {
    await pool.close();
  }
}

/** Case names from a directory of case files (cases/ or eval-cases/). */
export function caseNames(dir: 'cases' | 'eval-cases'): string[] {
  return readdirSync(join(here, dir))
    .filter((f) => f.endsWith('.js'))
    .map((f) => basename(f, '.js'))
    .sort();
}

/** The handler the suite wraps around a case: `run(request)`'s value as JSON. */
function entrySource(file: string): string {
  return `import { run } from ${JSON.stringify(file)};
export default { async fetch(request) { return Response.json(await run(request)); } };`;
}

/** Bundles one case into a single ES module for `platform`, as a user would with esbuild. */
export async function bundleCase(dir: 'cases' | 'eval-cases', name: string, platform: Platform): Promise<string> {
  return bundleEntry(entrySource(join(here, dir, `${name}.js`)), name, platform);
}

/** Bundles a case given as source text (a module defining `run`), resolving packages from the repository. */
export async function bundleSource(source: string, name: string, platform: Platform): Promise<string> {
  return bundleEntry(`${source}\nexport default { async fetch(request) { return Response.json(await run(request)); } };`, name, platform);
}

async function bundleEntry(contents: string, name: string, platform: Platform): Promise<string> {
  const result = await build({
    stdin: { contents, resolveDir: root, sourcefile: `${name}-entry.js`, loader: 'js' },
    bundle: true,
    format: 'esm',
    platform,
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** Runs every bundle in one plain Node process; keyed like the input. */
export async function nodeReference(bundles: Map<string, string>): Promise<Map<string, Outcome>> {
  const dir = mkdtempSync(join(tmpdir(), 'bunbase-packages-'));
  try {
    const jobs = [...bundles].map(([key, code], i) => {
      const file = join(dir, `bundle-${i}.mjs`);
      writeFileSync(file, code);
      return { key, file };
    });
    writeFileSync(join(dir, 'jobs.json'), JSON.stringify(jobs));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(here, 'node-reference.mjs'), join(dir, 'jobs.json'), JSON.stringify(REQUEST)],
      // Time zone fixed: the workers see UTC too.
      { env: { PATH: process.env['PATH'] ?? '', TZ: 'UTC' }, maxBuffer: 64 * 1024 * 1024 },
    );
    return new Map(Object.entries(JSON.parse(stdout) as Record<string, Outcome>));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function gapKey(runtime: RuntimeName, name: string, platform: Platform): string {
  return `${runtime}/${name}/${platform}`;
}

import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { RuntimeName } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';
import { ENCODING_LABELS, HEADERS, URL_SETTERS, URL_TESTDATA, URL_TOASCII } from './checks.js';

/**
 * Conformance against web-platform-tests' own data files (test/wpt/README.md)
 * on every runtime. Each runtime must pass at least the number of checks
 * recorded in expected.json (so a regression fails), and each QuickJS runtime
 * at least as many as Bun on each file. The QuickJS runtimes share the
 * prelude: one without floors of its own in expected.json is held to
 * quickjs-ng's. BUNBASE_WPT_REPORT=<file> writes the counts,
 * which docs/web-platform.md quotes.
 */
const FILES: { name: string; handler: string; data?: string }[] = [
  { name: 'url/urltestdata.json', handler: URL_TESTDATA, data: 'url/urltestdata.json' },
  { name: 'url/setters_tests.json', handler: URL_SETTERS, data: 'url/setters_tests.json' },
  { name: 'url/toascii.json', handler: URL_TOASCII, data: 'url/toascii.json' },
  { name: 'encoding/encodings.json', handler: ENCODING_LABELS, data: 'encoding/encodings.json' },
  { name: 'headers (our checks)', handler: HEADERS },
];

type Counts = Record<string, { passed: number; checks: number; failed: string[] }>;
const expected = JSON.parse(readFileSync(new URL('./expected.json', import.meta.url), 'utf8')) as Record<string, Record<string, number>>;
const results: Partial<Record<RuntimeName, Counts>> = {};
const QUICKJS = RUNTIMES.filter((r) => r !== 'bun');
const floors = (runtime: RuntimeName) => expected[runtime] ?? (runtime === 'bun' ? undefined : expected['quickjs-ng']) ?? {};

afterAll(() => {
  const out = process.env['BUNBASE_WPT_REPORT'];
  if (out) writeFileSync(out, JSON.stringify(results, null, 2));
});

describe.each(RUNTIMES)('%s: web-platform-tests data', (runtime) => {
  it.each(FILES)('$name', async ({ name, handler, data }) => {
    const p = pool(runtime, handler, { maxWorkers: 1 });
    try {
      const body = data ? readFileSync(new URL(`./${data}`, import.meta.url)) : undefined;
      const res = await p.invoke({ method: 'POST', path: '/', ...(body ? { body: new Uint8Array(body) } : {}) });
      const { checks, failed } = res.json() as { checks: number; failed: string[] };
      (results[runtime] ??= {})[name] = { passed: checks - failed.length, checks, failed };
      expect(checks).toBeGreaterThan(0);
      const floor = floors(runtime)[name] ?? 0;
      expect(checks - failed.length, `${failed.length} failed: ${failed.slice(0, 20).join('; ')}`).toBeGreaterThanOrEqual(floor);
    } finally {
      await p.close();
    }
  });
});

for (const runtime of QUICKJS) {
  describe.runIf(RUNTIMES.includes('bun'))(`${runtime} against Bun`, () => {
    it.each(FILES)('passes at least as many checks of $name', ({ name }) => {
      const q = results[runtime]?.[name];
      const b = results.bun?.[name];
      expect(q && b).toBeTruthy();
      expect(q!.passed).toBeGreaterThanOrEqual(b!.passed);
    });
  });
}

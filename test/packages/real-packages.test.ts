import { beforeAll, describe, expect, it } from 'vitest';
import { createPool, profiles, type Pool } from 'bunbase-functions';
import { expectedGaps } from './expected-gaps.js';
import { PACKAGE_RUNTIMES, PLATFORMS, REQUEST, bundleCase, caseNames, gapKey, nodeReference, type Outcome } from './suite.js';

const names = caseNames('cases');
const bundles = new Map<string, string>();
let reference = new Map<string, Outcome>();

beforeAll(async () => {
  for (const name of names) for (const platform of PLATFORMS) bundles.set(`${name}/${platform}`, await bundleCase('cases', name, platform));
  reference = await nodeReference(bundles);
}, 120_000);

async function runInPool(runtime: (typeof PACKAGE_RUNTIMES)[number], code: string): Promise<Outcome> {
  const pool: Pool = createPool({ runtime, capabilities: profiles.strict('packages'), source: { code }, timeoutMs: 20_000 });
  try {
    const response = await pool.invoke({ method: REQUEST.method, path: '/run?x=1', headers: REQUEST.headers, body: REQUEST.body });
    return { status: response.status, body: response.json() };
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return { error: e.code ?? 'Error', message: String(e.message) };
  } finally {
    await pool.close();
  }
}

describe.each(PACKAGE_RUNTIMES)('%s: real packages under profiles.strict give the same answer as Node', (runtime) => {
  describe.each(PLATFORMS)('esbuild --platform=%s', (platform) => {
    it.each(names)('%s', async (name) => {
      const key = `${name}/${platform}`;
      const expected = reference.get(key);
      // The reference itself must be a real answer, or the comparison proves nothing.
      expect(expected, `Node could not run ${key}`).toHaveProperty('status', 200);
      const actual = await runInPool(runtime, bundles.get(key)!);
      const gap = expectedGaps[gapKey(runtime, name, platform)];
      if (gap === undefined) {
        expect(actual, 'error' in actual ? `${actual.error}: ${actual.message}` : undefined).toEqual(expected);
      } else {
        // A known gap must still be one: when it starts passing, remove it from expected-gaps.ts.
        expect(actual, `${gapKey(runtime, name, platform)} now matches Node: remove it from expected-gaps.ts (${gap})`).not.toEqual(
          expected,
        );
      }
    });
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { expectedGaps } from './expected-gaps.js';
import { PACKAGE_RUNTIMES, PLATFORMS, bundleCase, caseNames, gapKey, nodeReference, runInPool, type Outcome } from './suite.js';

const names = caseNames('cases');
const bundles = new Map<string, string>();
let reference = new Map<string, Outcome>();

// Bundling some 50 bundles (React's are 900 KB) and running Node on them is CPU-bound: on a
// loaded 2-core machine it has taken over two minutes.
beforeAll(async () => {
  const jobs = names.flatMap((name) => PLATFORMS.map(async (platform) => [`${name}/${platform}`, await bundleCase('cases', name, platform)] as const));
  for (const [key, bundle] of await Promise.all(jobs)) bundles.set(key, bundle);
  reference = await nodeReference(bundles);
}, 600_000);

describe.each(PACKAGE_RUNTIMES)('%s: real packages under profiles.strict give the same answer as Node', (runtime) => {
  describe.each(PLATFORMS)('esbuild --platform=%s', (platform) => {
    it.each(names)('%s', async (name) => {
      const key = `${name}/${platform}`;
      const expected = reference.get(key);
      // The reference itself must be a real answer, or the comparison proves nothing.
      expect(expected, `Node could not run ${key}`).toHaveProperty('status', 200);
      const { denials: _denials, ...actual } = await runInPool(runtime, bundles.get(key)!);
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

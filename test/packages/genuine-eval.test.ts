import { beforeAll, describe, expect, it } from 'vitest';
import { precompiledCases } from './precompile.js';
import { PACKAGE_RUNTIMES, bundleCase, bundleSource, caseNames, nodeReference, runInPool, type Outcome } from './suite.js';

/**
 * Packages that compile text into functions at run time (ajv's compile,
 * Handlebars.compile, lodash's template) genuinely need eval. Under
 * profiles.strict they are refused the same way on every runtime; with
 * allowEval they match Node; and their precompiled forms (compiled at build
 * time: docs/eval-free-packages.md) match Node under profiles.strict.
 */
const names = caseNames('eval-cases');
const bundles = new Map<string, string>();
let reference = new Map<string, Outcome>();

beforeAll(async () => {
  const precompiled = await precompiledCases();
  for (const name of names) {
    bundles.set(name, await bundleCase('eval-cases', name, 'browser'));
    bundles.set(`${name}/precompiled`, await bundleSource(precompiled[name]!, name, 'browser'));
  }
  reference = await nodeReference(bundles);
}, 120_000);

describe.each(PACKAGE_RUNTIMES)('%s: packages that need eval', (runtime) => {
  it.each(names)('%s is refused under profiles.strict: CAPABILITY_DENIED and an eval denial', async (name) => {
    expect(reference.get(name)).toHaveProperty('status', 200);
    const outcome = await runInPool(runtime, bundles.get(name)!);
    expect(outcome).toMatchObject({ error: 'CAPABILITY_DENIED' });
    expect(outcome.denials).toContain('eval');
  });

  it.each(names)('%s matches Node with allowEval', async (name) => {
    const { denials, ...outcome } = await runInPool(runtime, bundles.get(name)!, { allowEval: true });
    expect(outcome).toEqual(reference.get(name));
    expect(denials).toEqual([]);
  });

  it.each(names)('%s, precompiled at build time, matches Node under profiles.strict', async (name) => {
    expect(reference.get(`${name}/precompiled`)).toEqual(reference.get(name));
    const { denials, ...outcome } = await runInPool(runtime, bundles.get(`${name}/precompiled`)!);
    expect(outcome, 'error' in outcome ? outcome.message : undefined).toEqual(reference.get(name));
    expect(denials).toEqual([]);
  });
});

import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { buildHandler, createPool, profiles, type FunctionsError, type Pool } from 'bunbase-functions';
import { RUNTIMES } from '../helpers.js';

const entry = fileURLToPath(new URL('../fixtures/bundle/throws.ts', import.meta.url));

describe.each(RUNTIMES)('%s: a prebuilt bundle with its source map (what a registry stores)', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('source: { code, filename, sourceMap } maps stacks like source: { entry }', async () => {
    const bundle = await buildHandler(entry, { runtime, cacheDir: false });
    p = createPool({
      runtime,
      capabilities: profiles.strict('ts'),
      source: { code: bundle.code, filename: bundle.filename, sourceMap: bundle.sourceMap },
    });
    const error = (await p.invoke({ path: '/x' }).catch((e: unknown) => e)) as FunctionsError;
    expect(error.workerStack).toMatch(/lib\/fail\.ts:4:\d+/);
  });

  it('a source map that is not one is BUNDLE_LOAD_ERROR before any spawn', () => {
    expect(() =>
      createPool({
        runtime,
        capabilities: profiles.strict('ts'),
        source: { code: 'export default () => 1', sourceMap: '{"version":2}' },
      }),
    ).toThrow(expect.objectContaining({ code: 'BUNDLE_LOAD_ERROR', message: expect.stringContaining('source map') }));
  });
});

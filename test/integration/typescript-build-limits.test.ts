import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildHandler, createPool, profiles } from 'bunbase-functions';

const entry = fileURLToPath(new URL('../fixtures/bundle/npm-handler.ts', import.meta.url));

describe('limits of a source.entry build', () => {
  // First in the file: nothing is in this process's memory cache yet, and cacheDir false skips the disk.
  it('a build that takes longer than buildTimeoutMs is stopped with BUILD_TIMEOUT', async () => {
    const error = await buildHandler(entry, { runtime: 'quickjs-ng', cacheDir: false, buildTimeoutMs: 1 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'BUILD_TIMEOUT', message: expect.stringContaining('buildTimeoutMs') });
  });

  it('a bundle larger than maxBundleBytes is BUNDLE_TOO_LARGE, from a build and from the cache', async () => {
    const built = await buildHandler(entry, { runtime: 'quickjs-ng', cacheDir: false, maxBundleBytes: 1000 }).catch(
      (e: unknown) => e,
    );
    expect(built).toMatchObject({ code: 'BUNDLE_TOO_LARGE', message: expect.stringContaining('limit is 1000') });
    const bundle = await buildHandler(entry, { runtime: 'quickjs-ng', cacheDir: false });
    const limit = Buffer.byteLength(bundle.code) - 1;
    const cached = await buildHandler(entry, { runtime: 'quickjs-ng', cacheDir: false, maxBundleBytes: limit }).catch(
      (e: unknown) => e,
    );
    expect(cached).toMatchObject({ code: 'BUNDLE_TOO_LARGE', message: expect.stringContaining(`limit is ${limit}`) });
    const pool = createPool({
      runtime: 'quickjs-ng',
      capabilities: profiles.strict('ts'),
      source: { entry, cacheDir: false, maxBundleBytes: limit },
    });
    await expect(pool.ready()).rejects.toMatchObject({ code: 'BUNDLE_TOO_LARGE' });
    await pool.close();
  });

  it('bad build settings are INVALID_OPTIONS', async () => {
    await expect(buildHandler(entry, { runtime: 'quickjs-ng', buildTimeoutMs: -1 })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    expect(() =>
      createPool({ runtime: 'quickjs-ng', capabilities: profiles.strict('ts'), source: { entry, maxBundleBytes: 0 } }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
  });
});

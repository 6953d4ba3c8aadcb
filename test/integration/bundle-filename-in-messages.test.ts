import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

describe.each(RUNTIMES)('%s: messages and stack traces name the bundle by its filename', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('a stack trace points into my-function.js', async () => {
    p = pool(runtime, '', {
      source: {
        code: `function inner() { throw new Error('boom'); }\nexport default { fetch() { return inner(); } }`,
        filename: 'my-function.js',
      },
    });
    const error = await p.invoke({ path: '/' }).then(
      () => undefined,
      (e: unknown) => e as { code: string; stack?: string; message: string; handlerStack?: string },
    );
    expect(error?.code).toBe('HANDLER_ERROR');
    const text = JSON.stringify(error, Object.getOwnPropertyNames(error ?? {}));
    expect(text).toMatch(/my-function\.js:1/);
    expect(text).not.toMatch(/data:text\/javascript/);
  });

  it('a missing package is reported as imported from the filename', async () => {
    p = pool(runtime, '', {
      source: {
        code: `import { nanoid } from 'nanoid';\nexport default { fetch() { return new Response(nanoid()) } }`,
        filename: 'my-function.js',
      },
    });
    await expect(p.invoke({ path: '/' })).rejects.toMatchObject({ code: 'BUNDLE_LOAD_ERROR', message: expect.stringMatching(/nanoid/) });
    const error = await p.invoke({ path: '/' }).catch((e: unknown) => e as Error);
    expect(String((error as Error).message)).not.toMatch(/data:/);
  });
});

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
const entry = fileURLToPath(new URL('../fixtures/bundle/throws.ts', import.meta.url));

// A resolve hook that makes `esbuild` unresolvable, as in a project that did not install the optional peer.
const HIDE_ESBUILD = `data:text/javascript,${encodeURIComponent(`
  import { register } from 'node:module';
  register('data:text/javascript,' + encodeURIComponent(
    "export async function resolve(s, c, next) { if (s === 'esbuild') throw Object.assign(new Error('Cannot find package esbuild'), { code: 'ERR_MODULE_NOT_FOUND' }); return next(s, c); }"
  ));
`)}`;

describe('source.entry without esbuild installed', () => {
  it('fails with BUNDLE_LOAD_ERROR saying how to install it, while prebuilt sources still run', () => {
    const script = `
      const { buildHandler, createPool, profiles } = await import(${JSON.stringify(dist)});
      const error = await buildHandler(${JSON.stringify(entry)}, { runtime: 'quickjs-ng', cacheDir: false }).catch((e) => e);
      const pool = createPool({ runtime: 'quickjs-ng', capabilities: profiles.strict('x'), source: { code: 'export default () => new Response("fine")' } });
      const text = (await pool.invoke({ path: '/' })).text();
      await pool.close();
      process.stdout.write(JSON.stringify({ code: error.code, message: error.message, text }));`;
    const out = execFileSync(process.execPath, ['--import', HIDE_ESBUILD, '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    const result = JSON.parse(out) as { code: string; message: string; text: string };
    expect(result.code).toBe('BUNDLE_LOAD_ERROR');
    expect(result.message).toContain('npm install esbuild');
    expect(result.text).toBe('fine');
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIST = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

// A host whose native binaries are unusable (what a failed native install leaves):
// quickjs-ng is RUNTIME_UNAVAILABLE, quickjs-wasm runs, since nothing on its path looks for them.
const HOST = `
const { createPool, profiles } = await import(${JSON.stringify(DIST)});
const handler = { code: 'export default { fetch() { return new Response("wasm ok") } }' };
let native;
try { createPool({ runtime: 'quickjs-ng', capabilities: profiles.strict('p'), source: handler }); native = 'created'; } catch (e) { native = e.code; }
const p = createPool({ runtime: 'quickjs-wasm', capabilities: profiles.strict('p'), source: handler });
const text = (await p.invoke({ path: '/' })).text();
await p.close();
console.log(JSON.stringify({ native, text }));
`;

describe('quickjs-wasm without the native build', () => {
  it('runs when the native worker binary is unusable, which quickjs-ng reports as RUNTIME_UNAVAILABLE', () => {
    // A file, not --input-type: the quickjs-wasm threads inherit the host's flags.
    const dir = mkdtempSync(join(tmpdir(), 'bunbase-test-'));
    try {
      writeFileSync(join(dir, 'host.mjs'), HOST);
      const run = spawnSync(process.execPath, [join(dir, 'host.mjs')], {
        encoding: 'utf8',
        env: { ...process.env, BUNBASE_QJS_WORKER: '/nonexistent/bunbase-worker', BUNBASE_LAUNCHER: '/nonexistent/bunbase-launcher' },
        timeout: 60_000,
      });
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout.trim())).toEqual({ native: 'RUNTIME_UNAVAILABLE', text: 'wasm ok' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, profiles, type Pool, type RuntimeName } from 'bunbase-functions';
import { RUNTIMES } from '../helpers.js';

/**
 * Uint8Array to and from base64 and hex (ES2026). quickjs-ng and Bun have them
 * from their engines; quickjs-wasm's QuickJS-NG (0.12) does not, and its
 * binding adds them (lib/workers/wasm/uint8-base64.js). The same battery runs
 * on both QuickJS runtimes, and quickjs-wasm must give quickjs-ng's answers,
 * errors (by constructor) and partial writes included. Bun is left out: its
 * engine differs from the proposal on one case here (setFromBase64 into a
 * 3-byte array of 'Zm9v!mFy' throws for the '!', which decoding stops before
 * reaching once the array is full; QuickJS-NG returns { read: 4, written: 3 }).
 */

const BATTERY = `export default { fetch() {
  const out = [];
  const tryIt = (f) => { try { const v = f(); return v instanceof Uint8Array ? Array.from(v) : v; } catch (e) { return 'throws ' + e.constructor.name; } };
  const inputs = ['', 'Zg', 'Zg==', 'Zm8', 'Zm8=', 'Zm9v', 'Zm9vYmFy', ' Z m 9\\nv ', 'Zh==', 'Zm9=', 'Zg=', 'Z', 'Zg==X', 'Zm9v=', '_-8', '+/8', '+/8=', 'Zm9vYg', 'YQ==YQ==', '=', 'Zg = =', 'Zm\\u00e9v'];
  const optionsList = [undefined, { alphabet: 'base64url' }, { lastChunkHandling: 'strict' }, { lastChunkHandling: 'stop-before-partial' }, { alphabet: 'nope' }, { lastChunkHandling: 'nope' }];
  for (const s of inputs) for (const o of optionsList) out.push(tryIt(() => Uint8Array.fromBase64(s, o)));
  for (const s of ['Zm9vYmFy', 'Zm9vYg', 'Zm9vYg==', 'Zm9v!mFy', 'Zm9vYmE']) {
    for (const size of [0, 1, 2, 3, 4, 5, 8]) {
      const target = new Uint8Array(size);
      const r = tryIt(() => target.setFromBase64(s));
      out.push([r, Array.from(target)]);
    }
  }
  for (const s of ['', '00ff', 'AbCd', 'abc', 'zz', '0g', ' 00']) out.push(tryIt(() => Uint8Array.fromHex(s)));
  for (const [s, size] of [['00112233', 2], ['0011zz', 4], ['001122', 8]]) {
    const target = new Uint8Array(size);
    out.push([tryIt(() => target.setFromHex(s)), Array.from(target)]);
  }
  for (const bytes of [[], [0], [255, 254], [1, 2, 3], [251, 255, 191, 0]]) {
    const u = new Uint8Array(bytes);
    out.push(u.toBase64(), u.toBase64({ alphabet: 'base64url' }), u.toBase64({ omitPadding: true }), u.toHex());
  }
  out.push(tryIt(() => Uint8Array.fromBase64(42)), tryIt(() => Uint8Array.prototype.toHex.call([1])), tryIt(() => new Uint8Array(1).toBase64(null)));
  return Response.json(out);
} }`;

const pools = new Map<RuntimeName, Pool>();
const wasm = RUNTIMES.includes('quickjs-wasm');
beforeAll(() => {
  if (!wasm) return;
  for (const runtime of ['quickjs-ng', 'quickjs-wasm'] as const) {
    pools.set(runtime, createPool({ runtime, capabilities: profiles.strict('test-project'), source: { code: BATTERY } }));
  }
});
afterAll(async () => Promise.all([...pools.values()].map((p) => p.close())));

describe('quickjs-wasm: Uint8Array base64 and hex', () => {
  it.skipIf(!wasm)("gives quickjs-ng's answers", async () => {
    const reference = (await pools.get('quickjs-ng')!.invoke({ path: '/' })).json() as unknown[];
    const answers = (await pools.get('quickjs-wasm')!.invoke({ path: '/' })).json() as unknown[];
    expect(reference.length).toBeGreaterThan(150);
    expect(answers).toEqual(reference);
  });
});

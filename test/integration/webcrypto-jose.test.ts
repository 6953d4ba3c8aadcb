import { build } from 'esbuild';
import * as jose from 'jose';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profiles, type Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

// jose, bundled for the browser, verifies tokens Node signed (JWK and SPKI
// keys), signs tokens Node verifies (PKCS #8 keys), generates key pairs and
// round-trips JWE with each key management algorithm.
const HANDLER = `
import * as jose from 'jose';
export default async (req) => {
  const input = await req.json();
  const out = {};
  const t = async (name, f) => { try { out[name] = await f(); } catch (e) { out[name] = 'ERR ' + e.name + ': ' + e.message; } };
  for (const [alg, k] of Object.entries(input.keys)) {
    await t('jwk ' + alg, async () => (await jose.jwtVerify(k.token, await jose.importJWK(k.publicJwk, alg))).payload.sub);
    await t('spki ' + alg, async () => (await jose.jwtVerify(k.token, await jose.importSPKI(k.spki, alg))).payload.sub);
    await t('sign ' + alg, async () => new jose.SignJWT({ sub: 'worker' }).setProtectedHeader({ alg }).sign(await jose.importPKCS8(k.pkcs8, alg)));
    await t('generate ' + alg, async () => {
      const { publicKey, privateKey } = await jose.generateKeyPair(alg, { modulusLength: 2048, extractable: true });
      const jwt = await new jose.SignJWT({ sub: 'generated' }).setProtectedHeader({ alg }).sign(privateKey);
      return (await jose.jwtVerify(jwt, publicKey)).payload.sub;
    });
  }
  for (const [alg, enc] of input.jwe) {
    await t(alg + ' ' + enc, async () => {
      let encKey, decKey;
      if (alg.startsWith('RSA') || alg.startsWith('ECDH')) ({ publicKey: encKey, privateKey: decKey } = await jose.generateKeyPair(alg, { modulusLength: 2048 }));
      else encKey = decKey = await jose.generateSecret(alg === 'dir' ? enc : alg);
      const token = await new jose.CompactEncrypt(new TextEncoder().encode('secret')).setProtectedHeader({ alg, enc }).encrypt(encKey);
      return new TextDecoder().decode((await jose.compactDecrypt(token, decKey)).plaintext);
    });
  }
  await t('jwe from node', async () => new TextDecoder().decode((await jose.compactDecrypt(input.nodeJwe.token, await jose.importPKCS8(input.nodeJwe.pkcs8, 'RSA-OAEP-256'))).plaintext));
  return Response.json(out);
};`;

const ALGS = ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
const JWE = [
  ['RSA-OAEP-256', 'A256GCM'],
  ['RSA-OAEP', 'A128CBC-HS256'],
  ['ECDH-ES+A256KW', 'A256GCM'],
  ['ECDH-ES', 'A128GCM'],
  ['A256KW', 'A256GCM'],
  ['A128GCMKW', 'A128GCM'],
  ['dir', 'A256CBC-HS512'],
];

let code = '';
let body = '';
const publicKeys = new Map<string, jose.CryptoKey>();

beforeAll(async () => {
  const result = await build({
    stdin: { contents: HANDLER, resolveDir: fileURLToPath(new URL('../..', import.meta.url)), loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  code = result.outputFiles[0]!.text;
  const keys: Record<string, unknown> = {};
  for (const alg of ALGS) {
    const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
    publicKeys.set(alg, publicKey);
    keys[alg] = {
      publicJwk: await jose.exportJWK(publicKey),
      spki: await jose.exportSPKI(publicKey),
      pkcs8: await jose.exportPKCS8(privateKey),
      token: await new jose.SignJWT({ sub: 'node' }).setProtectedHeader({ alg }).sign(privateKey),
    };
  }
  const oaep = await jose.generateKeyPair('RSA-OAEP-256', { extractable: true });
  const nodeJwe = {
    pkcs8: await jose.exportPKCS8(oaep.privateKey),
    token: await new jose.CompactEncrypt(new TextEncoder().encode('from node')).setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM' }).encrypt(oaep.publicKey),
  };
  body = JSON.stringify({ keys, jwe: JWE, nodeJwe });
}, 60_000);

describe.each(RUNTIMES)('%s: jose on crypto.subtle', (runtime) => {
  let p: Pool;
  beforeAll(() => {
    // The WebAssembly engine interprets RSA key generation several times slower: on a loaded machine past strict's 30 s of CPU.
    const capabilities = runtime === 'quickjs-wasm' ? { capabilities: profiles.custom('test-project', { maxCpu: 110_000 }) } : {};
    p = pool(runtime, code, { maxWorkers: 1, timeoutMs: 120_000, ...capabilities });
  });
  afterAll(async () => p.close());

  it('verifies, signs, generates and encrypts as Node does', async () => {
    const out = (await p.invoke({ method: 'POST', path: '/', body, timeoutMs: 120_000 })).json() as Record<string, string>;
    for (const alg of ALGS) {
      expect(out[`jwk ${alg}`]).toBe('node');
      expect(out[`spki ${alg}`]).toBe('node');
      expect(out[`generate ${alg}`]).toBe('generated');
      const { payload } = await jose.jwtVerify(out[`sign ${alg}`]!, publicKeys.get(alg)!);
      expect(payload.sub).toBe('worker');
    }
    for (const [alg, enc] of JWE) expect(out[`${alg} ${enc}`]).toBe('secret');
    expect(out['jwe from node']).toBe('from node');
  }, 180_000);
});

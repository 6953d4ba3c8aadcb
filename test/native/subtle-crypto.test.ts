import { createHash, createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { bodyText, NativeWorker, ready } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

describe('native worker: crypto.subtle', () => {
  it('digests with SHA-1 and SHA-2 as node:crypto does', async () => {
    w = await ready(`
      const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
      export default async (req) => {
        const data = await req.bytes();
        const out = {};
        for (const alg of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512']) out[alg] = hex(await crypto.subtle.digest(alg, data));
        out.obj = hex(await crypto.subtle.digest({ name: 'sha-256' }, new TextEncoder().encode('')));
        return Response.json(out);
      }`);
    const body = 'the quick brown fox';
    const out = JSON.parse(bodyText(await w.invoke({ method: 'POST', body })));
    expect(out).toEqual({
      'SHA-1': createHash('sha1').update(body).digest('hex'),
      'SHA-256': createHash('sha256').update(body).digest('hex'),
      'SHA-384': createHash('sha384').update(body).digest('hex'),
      'SHA-512': createHash('sha512').update(body).digest('hex'),
      obj: createHash('sha256').update('').digest('hex'),
    });
  });

  it('signs and verifies webhook signatures with HMAC keys', async () => {
    w = await ready(`
      const enc = new TextEncoder();
      const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
      export default async (req, env) => {
        const key = await crypto.subtle.importKey('raw', enc.encode(env.KEY), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
        const body = await req.text();
        const sig = await crypto.subtle.sign('HMAC', key, enc.encode(body));
        const given = req.headers.get('x-signature');
        const bytes = new Uint8Array(given.match(/../g).map((h) => parseInt(h, 16)));
        return Response.json({
          sig: hex(sig),
          ok: await crypto.subtle.verify('HMAC', key, bytes, enc.encode(body)),
          bad: await crypto.subtle.verify('HMAC', key, bytes, enc.encode(body + '!')),
          alg: key.algorithm,
          type: key.type,
          cls: key instanceof CryptoKey,
          exported: await crypto.subtle.exportKey('raw', key).then(() => 'yes', (e) => e.name),
          unsupported: await crypto.subtle.encrypt({ name: 'AES-OCB' }, key, new Uint8Array(1)).then(() => 'yes', (e) => e.name),
          mismatch: await crypto.subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, key, new Uint8Array(1)).then(() => 'yes', (e) => e.name),
        });
      }`);
    const body = '{"event":"paid"}';
    const signature = createHmac('sha256', 'value').update(body).digest('hex');
    const out = JSON.parse(bodyText(await w.invoke({ method: 'POST', body, headers: [['x-signature', signature]] })));
    expect(out).toEqual({
      sig: signature,
      ok: true,
      bad: false,
      alg: { name: 'HMAC', hash: { name: 'SHA-256' }, length: 40 },
      type: 'secret',
      cls: true,
      exported: 'InvalidAccessError',
      unsupported: 'NotSupportedError',
      mismatch: 'InvalidAccessError',
    });
  });
});

// WebCrypto speed inside each runtime (not a test): RS256 verify, ES256
// verify, RSA-2048 sign, AES-256-GCM throughput on 1 MB. QuickJS-NG runs
// audited JS (@noble/*, RSA on BigInt); Bun runs BoringSSL, which stands in
// for what a statically linked C library would give. The medians of one run.
//   npm run build && node bench/webcrypto.mjs
import { generateKeyPairSync, sign } from 'node:crypto';
import { createPool, profiles } from '../dist/index.js';

const runtimes = (process.env.BENCH_RUNTIMES ?? 'quickjs-ng,bun').split(',');

const HANDLER = `
const s = crypto.subtle;
const unhex = (h) => new Uint8Array(h.match(/../g).map((x) => parseInt(x, 16)));
async function time(n, f) {
  const times = [];
  for (let i = 0; i < n; i++) { const t = performance.now(); await f(); times.push(performance.now() - t); }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}
export default async (req) => {
  const v = await req.json();
  const rsaPub = await s.importKey('spki', unhex(v.rsaSpki), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
  const rsaPriv = await s.importKey('pkcs8', unhex(v.rsaPkcs8), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
  const ecPub = await s.importKey('spki', unhex(v.ecSpki), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  const msg = new TextEncoder().encode(v.msg);
  const rsaSig = unhex(v.rsaSig), ecSig = unhex(v.ecSig);
  const aes = await s.importKey('raw', new Uint8Array(32), 'AES-GCM', false, ['encrypt']);
  const mb = new Uint8Array(1 << 20);
  const gcmMs = await time(5, () => s.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, aes, mb));
  return Response.json({
    rs256VerifyMs: await time(50, async () => { if (!(await s.verify('RSASSA-PKCS1-v1_5', rsaPub, rsaSig, msg))) throw new Error('bad'); }),
    es256VerifyMs: await time(50, async () => { if (!(await s.verify({ name: 'ECDSA', hash: 'SHA-256' }, ecPub, ecSig, msg))) throw new Error('bad'); }),
    rs256SignMs: await time(10, () => s.sign('RSASSA-PKCS1-v1_5', rsaPriv, msg)),
    aesGcmMBps: 1000 / gcmMs,
  });
};`;

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const msg = 'header.payload';
const body = JSON.stringify({
  msg,
  rsaSpki: rsa.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
  rsaPkcs8: rsa.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('hex'),
  rsaSig: sign('sha256', Buffer.from(msg), rsa.privateKey).toString('hex'),
  ecSpki: ec.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
  ecSig: sign('sha256', Buffer.from(msg), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString('hex'),
});

const results = {};
for (const runtime of runtimes) {
  const pool = createPool({ runtime, capabilities: profiles.strict('bench'), source: { code: HANDLER }, timeoutMs: 120_000 });
  results[runtime] = (await pool.invoke({ method: 'POST', path: '/', body })).json();
  await pool.close();
}
const rows = [
  ['RS256 verify, median (ms)', 'rs256VerifyMs', 3],
  ['ES256 verify, median (ms)', 'es256VerifyMs', 3],
  ['RS256 sign (RSA-2048), median (ms)', 'rs256SignMs', 2],
  ['AES-256-GCM encrypt, 1 MB (MB/s)', 'aesGcmMBps', 1],
];
console.log(`| measure | ${runtimes.join(' | ')} |\n|---|${runtimes.map(() => '---').join('|')}|`);
for (const [label, key, digits] of rows) console.log(`| ${label} | ${runtimes.map((r) => results[r][key].toFixed(digits)).join(' | ')} |`);

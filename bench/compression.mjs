// CompressionStream/DecompressionStream speed inside each runtime (not a
// test): gzip 1 MB of text and back. quickjs-ng runs C zlib, quickjs-wasm
// pako (zlib ported to JavaScript), Bun its own C zlib. The medians of one
// run; BENCH_RUNTIMES=quickjs-ng,quickjs-wasm,bun for all three.
//   npm run build && node bench/compression.mjs
import { createPool, profiles } from '../dist/index.js';

const runtimes = (process.env.BENCH_RUNTIMES ?? 'quickjs-ng,bun').split(',');

const HANDLER = `
async function through(stream, bytes) {
  const writer = stream.writable.getWriter();
  const reading = new Response(stream.readable).arrayBuffer();
  writer.write(bytes);
  writer.close();
  return new Uint8Array(await reading);
}
async function time(n, f) {
  const times = [];
  for (let i = 0; i < n; i++) { const t = performance.now(); await f(); times.push(performance.now() - t); }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}
export default async () => {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'request', 'response', 'header', 'body', '{"id":', '42}, '];
  let text = '';
  let x = 1;
  while (text.length < 1 << 20) { x = (x * 1103515245 + 12345) % 2147483648; const r = x >>> 12; text += words[r % words.length] + (r % 13 === 0 ? '\\n' : ' ') + (r % 7 === 0 ? r % 1000 : ''); }
  const data = new TextEncoder().encode(text.slice(0, 1 << 20));
  const gz = await through(new CompressionStream('gzip'), data);
  const gzipMs = await time(5, () => through(new CompressionStream('gzip'), data));
  const gunzipMs = await time(5, () => through(new DecompressionStream('gzip'), gz));
  return Response.json({ gzipMBps: 1000 / gzipMs, gunzipMBps: 1000 / gunzipMs, ratio: data.length / gz.length });
};`;

const results = {};
for (const runtime of runtimes) {
  // pako on quickjs-wasm needs more than the strict profile's 30 s of CPU.
  const pool = createPool({ runtime, capabilities: { ...profiles.strict('bench'), maxCpu: 300_000 }, source: { code: HANDLER }, timeoutMs: 300_000 });
  results[runtime] = (await pool.invoke({ path: '/', timeoutMs: 300_000 })).json();
  await pool.close();
}
const rows = [
  ['gzip 1 MB of text (MB/s)', 'gzipMBps', 1],
  ['gunzip the same (MB/s)', 'gunzipMBps', 1],
  ['compression ratio', 'ratio', 1],
];
console.log(`| measure | ${runtimes.join(' | ')} |\n|---|${runtimes.map(() => '---').join('|')}|`);
for (const [label, key, digits] of rows) console.log(`| ${label} | ${runtimes.map((r) => results[r][key].toFixed(digits)).join(' | ')} |`);

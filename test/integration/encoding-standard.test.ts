import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

// TextEncoder/TextDecoder as the Encoding Standard has them: lone surrogates,
// ill-formed and truncated UTF-8, the legacy labels.
const HANDLER = `
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
const decode = (bytes, label = 'utf-8', options = undefined) => {
  try { return new TextDecoder(label, options).decode(new Uint8Array(bytes)); } catch (e) { return e.name; }
};
export default async () => {
  const streamed = new TextDecoder();
  const parts = [streamed.decode(new Uint8Array([0xf0, 0x9f]), { stream: true }), streamed.decode(new Uint8Array([0x98, 0x80]), { stream: true }), streamed.decode()];
  return Response.json({
    loneHigh: hex(new TextEncoder().encode('\\ud800')),
    loneLow: hex(new TextEncoder().encode('a\\udc00b')),
    pair: hex(new TextEncoder().encode('\\ud83d\\ude00')),
    encodedSurrogate: decode([0xed, 0xa0, 0x80]),
    truncated3: decode([0xe2, 0x82]),
    truncated4: decode([0xf0, 0x9f, 0x41]),
    overlong: decode([0xc0, 0x80]),
    tooHigh: decode([0xf4, 0x90, 0x80, 0x80]),
    fatal: decode([0xff], 'utf-8', { fatal: true }),
    bom: decode([0xef, 0xbb, 0xbf, 0x41]),
    keptBom: decode([0xef, 0xbb, 0xbf, 0x41], 'utf-8', { ignoreBOM: true }).length,
    streamed: parts,
    latin1: decode([0x80, 0xe9, 0x41], 'latin1'),
    ascii: new TextDecoder('ascii').encoding,
    utf16le: decode([0x41, 0x00, 0x3d, 0xd8, 0x00, 0xde], 'utf-16le'),
    utf16leLone: decode([0x00, 0xd8, 0x41, 0x00], 'utf-16le'),
    utf16be: decode([0xfe, 0xff, 0x00, 0x41], 'utf-16be'),
    utf16: new TextDecoder('utf-16').encoding,
    koi8: decode([0xc1, 0xc2], 'koi8-r'),
    cp1251: decode([0xc0], ' CP1251 '),
    userDefined: decode([0x80], 'x-user-defined').charCodeAt(0),
    replacement: decode([0x41], 'iso-2022-kr'),
    bogus: decode([0x41], 'utf-9'),
  });
};`;

describe.each(RUNTIMES)('%s: the Encoding Standard', (runtime) => {
  let p: Pool;
  beforeAll(() => {
    p = pool(runtime, HANDLER, { maxWorkers: 1 });
  });
  afterAll(async () => p.close());

  it('encodes lone surrogates as U+FFFD and replaces each bad UTF-8 sequence once', async () => {
    expect((await p.invoke({ path: '/' })).json()).toEqual({
      loneHigh: 'ef bf bd',
      loneLow: '61 ef bf bd 62',
      pair: 'f0 9f 98 80',
      encodedSurrogate: '\ufffd\ufffd\ufffd',
      truncated3: '\ufffd',
      truncated4: '\ufffdA',
      overlong: '\ufffd\ufffd',
      tooHigh: '\ufffd\ufffd\ufffd\ufffd',
      fatal: 'TypeError',
      bom: 'A',
      keptBom: 2,
      streamed: ['', '\u{1f600}', ''],
      latin1: '\u20ac\u00e9A',
      ascii: 'windows-1252',
      utf16le: 'A\u{1f600}',
      utf16leLone: '\ufffdA',
      utf16be: 'A',
      utf16: 'utf-16le',
      koi8: '\u0430\u0431',
      cp1251: '\u0410',
      userDefined: 0xf780,
      replacement: 'RangeError',
      bogus: 'RangeError',
    });
  });
});

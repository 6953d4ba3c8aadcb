// Bundled separately and evaluated on the first TextDecoder for a legacy
// single-byte encoding (see lazy-legacy-encodings.js): the code points of
// bytes 0x80-0xFF for each, from iconv-lite's tables (data only: none of its
// Buffer-based code is bundled).
import tables from 'iconv-lite/encodings/sbcs-data-generated.js';

// Encoding Standard name -> iconv-lite table.
const NAMES = {
  ibm866: 'cp866',
  'iso-8859-2': 'iso88592',
  'iso-8859-3': 'iso88593',
  'iso-8859-4': 'iso88594',
  'iso-8859-5': 'iso88595',
  'iso-8859-6': 'iso88596',
  'iso-8859-7': 'iso88597',
  'iso-8859-8': 'iso88598',
  'iso-8859-8-i': 'iso88598',
  'iso-8859-10': 'iso885910',
  'iso-8859-13': 'iso885913',
  'iso-8859-14': 'iso885914',
  'iso-8859-15': 'iso885915',
  'iso-8859-16': 'iso885916',
  'koi8-r': 'koi8r',
  'koi8-u': 'koi8ru',
  macintosh: 'macintosh',
  'windows-874': 'windows874',
  'windows-1250': 'windows1250',
  'windows-1251': 'windows1251',
  'windows-1253': 'windows1253',
  'windows-1254': 'windows1254',
  'windows-1255': 'windows1255',
  'windows-1256': 'windows1256',
  'windows-1257': 'windows1257',
  'windows-1258': 'windows1258',
  'x-mac-cyrillic': 'maccyrillic',
};

// The 128 code points of bytes 0x80-0xFF, or undefined for an encoding
// this runtime does not decode (the multi-byte CJK ones).
function highCodePoints(name) {
  const table = tables[NAMES[name]];
  if (!table) return undefined;
  const chars = table.chars.slice(-128);
  return Array.from({ length: 128 }, (_, i) => chars.charCodeAt(i));
}

globalThis.__qw_legacy_encodings = { highCodePoints };

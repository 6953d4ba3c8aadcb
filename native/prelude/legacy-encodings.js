// Bundled separately and evaluated on the first TextDecoder for a legacy
// encoding (see lazy-legacy-encodings.js): the single-byte ones from
// iconv-lite's tables, the multi-byte CJK ones through iconv-lite's decoders
// (with the bundler's Buffer polyfill), and ISO-2022-JP, which iconv-lite
// lacks, as the Encoding Standard's state machine over its JIS X 0208 table
// (reached through EUC-JP, which encodes the same table).
import tables from 'iconv-lite/encodings/sbcs-data-generated.js';
import iconv from 'iconv-lite';

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

// Encoding Standard name -> iconv-lite codec.
const MULTI_BYTE = { gbk: 'gbk', gb18030: 'gb18030', big5: 'big5hkscs', 'euc-jp': 'eucjp', shift_jis: 'shiftjis', 'euc-kr': 'euckr' };

function invalid(name) {
  return new TypeError(`The encoded data was not valid for encoding ${name}`);
}

class MultiByteDecoder {
  #name;
  #decoder;
  constructor(name) {
    this.#name = name;
    this.#decoder = iconv.getDecoder(MULTI_BYTE[name]);
  }
  decode(bytes, fatal, stream) {
    let text = this.#decoder.write(bytes);
    if (!stream) text += this.#decoder.end() ?? '';
    // iconv-lite replaces errors with U+FFFD; fatal mode treats one as an error.
    if (fatal && text.includes('\ufffd')) throw invalid(this.#name);
    return text;
  }
}

// ISO-2022-JP after the Encoding Standard's decoder (states and output flag).
class Iso2022JpDecoder {
  #state = 'ascii';
  #outputState = 'ascii';
  #lead = 0;
  #output = false;
  #jis = iconv.getDecoder('eucjp');
  #pending = [];
  decode(bytes, fatal, stream) {
    const input = [...this.#pending, ...bytes];
    this.#pending = [];
    let out = '';
    const error = () => {
      if (fatal) throw invalid('iso-2022-jp');
      out += '\ufffd';
    };
    let i = 0;
    while (i <= input.length) {
      const b = i < input.length ? input[i] : -1;
      if (b < 0 && stream) break;
      switch (this.#state) {
        case 'ascii':
        case 'roman':
        case 'katakana':
          if (b === 0x1b) {
            this.#state = 'escape-start';
            i++;
            continue;
          }
          if (b < 0) return out;
          this.#output = false;
          if (this.#state === 'katakana') {
            if (b >= 0x21 && b <= 0x5f) out += String.fromCharCode(0xff61 - 0x21 + b);
            else if (b === 0x0e || b === 0x0f || b > 0x7f) error();
            else out += String.fromCharCode(b);
          } else if (b === 0x0e || b === 0x0f || b > 0x7f) {
            error();
          } else if (this.#state === 'roman' && b === 0x5c) {
            out += '\u00a5';
          } else if (this.#state === 'roman' && b === 0x7e) {
            out += '\u203e';
          } else {
            out += String.fromCharCode(b);
          }
          i++;
          continue;
        case 'lead':
          if (b === 0x1b) {
            this.#state = 'escape-start';
            i++;
            continue;
          }
          if (b < 0) return out;
          this.#output = false;
          if (b >= 0x21 && b <= 0x7e) {
            this.#lead = b;
            this.#state = 'trail';
          } else {
            error();
          }
          i++;
          continue;
        case 'trail':
          if (b === 0x1b) {
            this.#state = 'escape-start';
            error();
            i++;
            continue;
          }
          this.#state = 'lead';
          if (b < 0) {
            error();
            return out;
          }
          if (b >= 0x21 && b <= 0x7e) {
            const c = this.#jis.write(new Uint8Array([this.#lead | 0x80, b | 0x80]));
            if (c && c !== '\ufffd') out += c;
            else error();
          } else {
            error();
          }
          i++;
          continue;
        case 'escape-start':
          if (b === 0x24 || b === 0x28) {
            this.#lead = b;
            this.#state = 'escape';
            i++;
            continue;
          }
          this.#output = false;
          this.#state = this.#outputState;
          error();
          continue; // b is looked at again
        case 'escape': {
          const lead = this.#lead;
          this.#lead = 0;
          let next = null;
          if (lead === 0x28 && b === 0x42) next = 'ascii';
          else if (lead === 0x28 && b === 0x4a) next = 'roman';
          else if (lead === 0x28 && b === 0x49) next = 'katakana';
          else if (lead === 0x24 && (b === 0x40 || b === 0x42)) next = 'lead';
          if (next) {
            this.#state = this.#outputState = next;
            const wasOutput = this.#output;
            this.#output = true;
            if (wasOutput) error();
            i++;
            continue;
          }
          // Not an escape: the two bytes are looked at again in the output state.
          this.#state = this.#outputState;
          this.#output = false;
          input.splice(i, 0, lead);
          error();
          continue;
        }
      }
    }
    // Streaming: keep an escape sequence that has not ended yet.
    if (this.#state === 'escape-start') this.#pending = [0x1b];
    if (this.#state === 'escape') this.#pending = [0x1b, this.#lead];
    if (this.#pending.length) this.#state = this.#outputState;
    return out;
  }
}

function createDecoder(name) {
  if (name === 'iso-2022-jp') return new Iso2022JpDecoder();
  return MULTI_BYTE[name] ? new MultiByteDecoder(name) : undefined;
}

globalThis.__qw_legacy_encodings = { highCodePoints, createDecoder };

import { isAscii } from 'node:buffer';
import type { QuickJSContext, QuickJSHandle, QuickJSWASMModule } from 'quickjs-emscripten-core';

/**
 * Strings between the host and the engine as QuickJS's own serialised form
 * (the binary JSON of quickjs-emscripten's encode/decodeBinaryJSON): Latin-1
 * or UTF-16 code units as they are, with a length.
 *
 * quickjs-emscripten's newString and getString go through C strings: a NUL
 * ends them (`new TextDecoder().decode([97, 0, 98])` came out as "a", and
 * `new Response('a\0b')` sent one byte), and newString converts to UTF-8 in
 * a JavaScript loop (about 120 µs for a 10 KB body). The serialised form
 * carries every code unit and costs two copies.
 *
 * The format is QuickJS-NG's and not a public contract, so it is checked
 * once per engine against the engine's own encoder (`probe`); when that
 * check fails the codec is not used and the host falls back to JSON text,
 * which has no NUL either.
 */
export class EngineStrings {
  /** Everything before the length: format version, no atoms, the string tag. */
  readonly #prefix: Uint8Array;

  private constructor(prefix: Uint8Array) {
    this.#prefix = prefix;
  }

  /** The codec for this engine build, or undefined when its format is not the one expected. */
  static probe(module: QuickJSWASMModule): EngineStrings | undefined {
    const rt = module.newRuntime();
    const ctx = rt.newContext();
    try {
      const empty = ctx.newString('');
      const bytes = readBinary(ctx, empty);
      empty.dispose();
      // An empty string is the prefix and a one-byte length of zero.
      if (bytes.length < 2 || bytes[bytes.length - 1] !== 0) return undefined;
      const codec = new EngineStrings(bytes.subarray(0, bytes.length - 1));
      const same = ctx.unwrapResult(ctx.evalCode('(a, b) => a === JSON.parse(b)'));
      try {
        for (const probe of ['', 'a\0b', 'é', '€😀', '\ud800x', 'x'.repeat(300)]) {
          const h = codec.toEngine(ctx, probe);
          const json = ctx.newString(JSON.stringify(probe));
          const r = ctx.unwrapResult(ctx.callFunction(same, ctx.undefined, h, json));
          const ok = ctx.dump(r) === true && codec.fromEngine(ctx, h) === probe;
          r.dispose();
          json.dispose();
          h.dispose();
          if (!ok) return undefined;
        }
      } finally {
        same.dispose();
      }
      return codec;
    } catch {
      return undefined;
    } finally {
      ctx.dispose();
      rt.dispose();
    }
  }

  /** A string value in `ctx` holding exactly `s`. */
  toEngine(ctx: QuickJSContext, s: string): QuickJSHandle {
    // Latin-1 when every code unit fits a byte, as QuickJS stores such strings itself.
    const wide = /[\u0100-\uffff]/.test(s);
    return this.#decode(ctx, Buffer.from(s, wide ? 'utf16le' : 'latin1'), s.length, wide);
  }

  /**
   * The string whose UTF-8 encoding is `bytes`, when they are all ASCII (a
   * JSON body, most text): those bytes are its Latin-1 form as they are, so
   * nothing is decoded or scanned twice. Undefined for any other bytes.
   */
  asciiToEngine(ctx: QuickJSContext, bytes: Uint8Array): QuickJSHandle | undefined {
    return isAscii(bytes) ? this.#decode(ctx, bytes, bytes.length, false) : undefined;
  }

  /** The UTF-8 encoding of the string `h` holds (h must be a string); a lone surrogate becomes U+FFFD. */
  utf8FromEngine(ctx: QuickJSContext, h: QuickJSHandle): Uint8Array {
    const { data, wide } = this.#read(ctx, h);
    // ASCII in Latin-1 form is its own UTF-8.
    if (!wide && isAscii(data)) return data;
    return Buffer.from(data.toString(wide ? 'utf16le' : 'latin1'), 'utf8');
  }

  /** The serialised string of `units` code units (`data`: one byte each, or two when `wide`), decoded in `ctx`. */
  #decode(ctx: QuickJSContext, data: Uint8Array, units: number, wide: boolean): QuickJSHandle {
    const length = leb128(units * 2 + (wide ? 1 : 0));
    const out = new Uint8Array(this.#prefix.length + length.length + data.length);
    out.set(this.#prefix, 0);
    out.set(length, this.#prefix.length);
    out.set(data, this.#prefix.length + length.length);
    const buffer = ctx.newArrayBuffer(out.buffer);
    const value = ctx.decodeBinaryJSON(buffer);
    buffer.dispose();
    return value;
  }

  /** The string `h` holds, every code unit of it (h must be a string). */
  fromEngine(ctx: QuickJSContext, h: QuickJSHandle): string {
    const { data, wide } = this.#read(ctx, h);
    return data.toString(wide ? 'utf16le' : 'latin1');
  }

  /** The code units of the string `h`, as they are serialised: one byte each, or two (UTF-16LE) when `wide`. */
  #read(ctx: QuickJSContext, h: QuickJSHandle): { data: Buffer; wide: boolean } {
    const bytes = readBinary(ctx, h);
    const p = this.#prefix;
    for (let i = 0; i < p.length; i++) if (bytes[i] !== p[i]) throw new TypeError('not a serialised string');
    let at = p.length;
    let n = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++];
      if (b === undefined) throw new TypeError('truncated serialised string');
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    const wide = n % 2 === 1;
    const units = Math.floor(n / 2);
    return { data: Buffer.from(bytes.buffer, bytes.byteOffset + at, wide ? units * 2 : units), wide };
  }
}

function readBinary(ctx: QuickJSContext, h: QuickJSHandle): Uint8Array {
  const encoded = ctx.encodeBinaryJSON(h);
  const view = ctx.getArrayBuffer(encoded);
  const bytes = view.value.slice();
  view.dispose();
  encoded.dispose();
  return bytes;
}

function leb128(n: number): Uint8Array {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Uint8Array.from(out);
}

import * as variantModule from '@jitl/quickjs-ng-wasmfile-release-sync';
import { newQuickJSWASMModuleFromVariant, type QuickJSContext, type QuickJSRuntime, type QuickJSSyncVariant } from 'quickjs-emscripten-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineStrings } from '../../../lib/workers/wasm/engine-strings.js';

const variant = (variantModule as unknown as { default: QuickJSSyncVariant }).default;

/**
 * Text between the host and the engine in QuickJS's serialised form, and
 * its shortcuts for ASCII: bytes that are all ASCII become the engine's
 * string as they are, and an ASCII string's code units are its UTF-8. Each
 * is checked against the engine's own view of the string (JSON of it).
 */
describe('quickjs-wasm engine strings', () => {
  let rt: QuickJSRuntime;
  let ctx: QuickJSContext;
  let strings: EngineStrings;

  beforeAll(async () => {
    const module = await newQuickJSWASMModuleFromVariant(variant);
    strings = EngineStrings.probe(module)!;
    rt = module.newRuntime();
    ctx = rt.newContext();
  });

  afterAll(() => {
    ctx.dispose();
    rt.dispose();
  });

  const inEngine = (code: string): unknown => {
    const h = ctx.unwrapResult(ctx.evalCode(code));
    const json = ctx.getString(h);
    h.dispose();
    return JSON.parse(json) as unknown;
  };

  it('is available with the installed engine', () => {
    expect(strings).toBeInstanceOf(EngineStrings);
  });

  it.each([
    ['empty', ''],
    ['plain', '{"items":[1,2,3]}'],
    ['a NUL and control characters', 'a\0b\x01\x7f'],
    ['long', 'x'.repeat(100_000)],
  ])('ASCII bytes become the same string in the engine: %s', (_name, text) => {
    const h = strings.asciiToEngine(ctx, new TextEncoder().encode(text));
    expect(h).toBeDefined();
    ctx.setProp(ctx.global, 's', h!);
    h!.dispose();
    expect(inEngine('JSON.stringify(s)')).toBe(text);
    expect(inEngine('JSON.stringify(String(s.length))')).toBe(String(text.length));
  });

  it('ASCII bytes read from an engine ArrayBuffer become the same string', () => {
    const ab = ctx.unwrapResult(ctx.evalCode('new Uint8Array([104, 105, 0, 33]).buffer'));
    const view = ctx.getArrayBuffer(ab);
    const h = strings.asciiToEngine(ctx, view.value);
    view.dispose();
    ab.dispose();
    ctx.setProp(ctx.global, 's', h!);
    h!.dispose();
    expect(inEngine('JSON.stringify(s)')).toBe('hi\0!');
  });

  it.each([
    ['Latin-1', 'é'],
    ['a BOM', '\uFEFFa'],
    ['outside the BMP', '😀'],
  ])('bytes beyond ASCII are left to the decoder: %s', (_name, text) => {
    expect(strings.asciiToEngine(ctx, new TextEncoder().encode(text))).toBeUndefined();
    expect(strings.asciiToEngine(ctx, Uint8Array.of(0x61, 0xff))).toBeUndefined();
  });

  it.each([
    ['empty', '""'],
    ['ASCII with a NUL', '"a\\u0000b"'],
    ['Latin-1', '"café"'],
    ['UTF-16', '"€ and 😀"'],
    ['a lone surrogate', '"a\\ud800b"'],
    ['long ASCII', '"y".repeat(20000)'],
  ])('a string leaves the engine as its UTF-8: %s', (_name, code) => {
    const h = ctx.unwrapResult(ctx.evalCode(code));
    const expected = Buffer.from(inEngine(`JSON.stringify(${code})`), 'utf8');
    expect(Buffer.from(strings.utf8FromEngine(ctx, h))).toEqual(expected);
    h.dispose();
  });
});

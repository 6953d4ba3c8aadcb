import { describe, expect, it } from 'vitest';
import { parseFetchArgs, parseHead } from '../../../lib/workers/wasm/guest-input.js';

/**
 * What a quickjs-wasm sandbox hands its host thread is checked against the
 * protocol's schema. The binding serialises with its own JSON now, so a
 * handler can no longer forge these through JSON.stringify (security suite);
 * this is the host's check behind that, fed the forgeries directly.
 */
describe('quickjs-wasm guest input', () => {
  it('a well-formed response head passes', () => {
    expect(parseHead('[200,"OK",[["content-type","text/plain"]]]')).toEqual({
      ok: true,
      value: { status: 200, statusText: 'OK', headers: [['content-type', 'text/plain']] },
    });
  });

  it.each([
    ['a status out of range', '[99999,"OK",[]]'],
    ['status 0', '[0,"",[]]'],
    ['an extra field', '[200,"OK",[],1]'],
    ['a header name that is an object', '[200,"OK",[[{"name":"x"},"v"]]]'],
    ['a header pair of three', '[200,"OK",[["a","b","c"]]]'],
    ['not JSON', '[200,'],
    ['an object instead of the array', '{"status":200}'],
  ])('a response head with %s is refused with a reason', (_what, json) => {
    const checked = parseHead(json);
    expect(checked.ok).toBe(false);
    expect(checked.ok ? '' : checked.reason).toMatch(/response head/);
  });

  it('fetch arguments with a URL that is a number, or that are not JSON, are refused', () => {
    const good = { url: 'https://a.example/', method: 'GET', headers: [], body: null, redirect: 'follow' };
    const control = parseFetchArgs(JSON.stringify(good));
    expect(control.ok, JSON.stringify(control)).toBe(true);
    for (const json of [JSON.stringify({ ...good, url: 5 }), JSON.stringify({ ...good, headers: [[{}, 'v']] }), '{']) {
      const checked = parseFetchArgs(json);
      expect(checked.ok, json).toBe(false);
      expect(checked.ok ? '' : checked.reason).toMatch(/fetch arguments/);
    }
  });
});

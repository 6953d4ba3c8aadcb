import { describe, expect, it } from 'vitest';
import { checkUrl } from '../../../lib/capabilities/index.js';

const net = (allowedDomains: string[] = []) => ({ allowNetwork: true, allowedDomains });

describe('checkUrl', () => {
  it('allows http and https to a listed host and returns the parsed URL', () => {
    const decision = checkUrl('https://API.example.com/x?y=1', net(['api.example.com']));
    expect(decision.allowed).toBe(true);
    if (decision.allowed) expect(decision.url.hostname).toBe('api.example.com');
    expect(checkUrl(new URL('http://a.example.com/'), net(['*.example.com'])).allowed).toBe(true);
  });

  it('refuses everything without allowNetwork', () => {
    expect(checkUrl('https://example.com/', { allowNetwork: false, allowedDomains: ['example.com'] })).toMatchObject({
      allowed: false,
      rule: 'network not allowed',
      target: 'https://example.com/',
    });
  });

  it.each(['file:///etc/passwd', 'ftp://example.com/', 'data:text/plain,hi', 'ws://example.com/', 'javascript:alert(1)'])(
    'refuses the scheme of %s',
    (url) => {
      const decision = checkUrl(url, net());
      expect(decision.allowed).toBe(false);
      if (!decision.allowed) expect(decision.rule).toMatch(/^scheme .* not allowed$/);
    },
  );

  it('refuses invalid URLs', () => {
    expect(checkUrl('not a url', net())).toMatchObject({ allowed: false, rule: 'invalid URL' });
    expect(checkUrl('/relative', net())).toMatchObject({ allowed: false, rule: 'invalid URL' });
  });

  it('allows any host by name when allowedDomains is empty', () => {
    expect(checkUrl('https://anything.example/', net()).allowed).toBe(true);
  });

  it('refuses hosts that are not listed, including bare-suffix look-alikes', () => {
    expect(checkUrl('https://evilexample.com/', net(['*.example.com']))).toMatchObject({
      allowed: false,
      rule: 'host evilexample.com not in allowedDomains',
    });
    expect(checkUrl('https://example.com.evil.net/', net(['example.com'])).allowed).toBe(false);
  });

  it('uses the real host of user:pass@host URLs', () => {
    expect(checkUrl('http://allowed.com@127.0.0.1/', net(['allowed.com']))).toMatchObject({
      allowed: false,
      rule: 'host 127.0.0.1 not in allowedDomains',
    });
    expect(checkUrl('http://allowed.com:pw@evil.com/', net(['allowed.com'])).allowed).toBe(false);
  });

  it('does not show user info or query strings in the target', () => {
    expect(checkUrl('http://u:secret@evil.com/p?token=t', net(['ok.com']))).toMatchObject({ target: 'http://evil.com/p' });
  });

  it.each(['http://0x7f.1/', 'http://2130706433/', 'http://127.1/', 'http://0177.0.0.1/', 'http://127.0.0.1./'])(
    'reads odd IPv4 spelling %s as 127.0.0.1',
    (url) => {
      expect(checkUrl(url, net(['127.0.0.1'])).allowed).toBe(true);
      expect(checkUrl(url, net(['localhost']))).toMatchObject({ allowed: false, rule: 'host 127.0.0.1 not in allowedDomains' });
    },
  );

  it('matches IPv6 literals in canonical form', () => {
    expect(checkUrl('http://[0:0::1]:8080/', net(['::1'])).allowed).toBe(true);
    expect(checkUrl('http://[::1]/', net(['[::1]'])).allowed).toBe(true);
    expect(checkUrl('http://[::2]/', net(['::1'])).allowed).toBe(false);
  });

  it('does not read a backslash or tab as ending the host differently from the connecting code', () => {
    const decision = checkUrl('http://allowed.com\\@127.0.0.1/', net(['allowed.com']));
    expect(decision.allowed).toBe(true);
    if (decision.allowed) expect(decision.url.hostname).toBe('allowed.com');
    expect(checkUrl('http://127.0.0.1\t/', net(['allowed.com'])).allowed).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { matchDomain, normalizeHost } from '../../../lib/capabilities/index.js';

describe('normalizeHost', () => {
  it.each([
    ['Example.COM', 'example.com'],
    ['example.com.', 'example.com'],
    ['[::1]', '::1'],
    ['[0:0::1]', '::1'],
    ['[FD00::ABCD]', 'fd00::abcd'],
    ['127.0.0.1', '127.0.0.1'],
  ])('%s -> %s', (input, output) => {
    expect(normalizeHost(input)).toBe(output);
  });
});

describe('matchDomain', () => {
  it('matches exact names only', () => {
    expect(matchDomain('api.example.com', ['api.example.com'])).toBe('api.example.com');
    expect(matchDomain('example.com', ['api.example.com'])).toBeUndefined();
    expect(matchDomain('x.api.example.com', ['api.example.com'])).toBeUndefined();
  });

  it('matches wildcard subdomains at any depth and the apex', () => {
    const list = ['*.example.com'];
    expect(matchDomain('a.example.com', list)).toBe('*.example.com');
    expect(matchDomain('a.b.c.example.com', list)).toBe('*.example.com');
    expect(matchDomain('example.com', list)).toBe('*.example.com');
  });

  it('never matches a bare suffix', () => {
    expect(matchDomain('evilexample.com', ['*.example.com'])).toBeUndefined();
    expect(matchDomain('evilexample.com', ['example.com'])).toBeUndefined();
    expect(matchDomain('example.com.evil.net', ['*.example.com'])).toBeUndefined();
    expect(matchDomain('com', ['*.example.com'])).toBeUndefined();
  });

  it('ignores case and a trailing dot on both sides', () => {
    expect(matchDomain('API.Example.com.', ['api.example.COM'])).toBe('api.example.COM');
    expect(matchDomain('a.example.com', ['*.EXAMPLE.com.'])).toBe('*.EXAMPLE.com.');
  });

  it('returns the first matching entry', () => {
    expect(matchDomain('a.example.com', ['other.org', '*.example.com', 'a.example.com'])).toBe('*.example.com');
  });

  it('matches IP literals only against an identical literal', () => {
    expect(matchDomain('127.0.0.1', ['127.0.0.1'])).toBe('127.0.0.1');
    expect(matchDomain('127.0.0.2', ['127.0.0.1'])).toBeUndefined();
    expect(matchDomain('[::1]', ['0:0::1'])).toBe('0:0::1');
    expect(matchDomain('::1', ['[::1]'])).toBe('[::1]');
    expect(matchDomain('[::2]', ['::1'])).toBeUndefined();
  });

  it('never matches an IP literal through a wildcard or a name', () => {
    expect(matchDomain('10.0.0.1', ['*.0.0.1'])).toBeUndefined();
    expect(matchDomain('10.0.0.1', ['*.10.0.0.1'])).toBeUndefined();
    expect(matchDomain('127.0.0.1', ['localhost', '*.localhost'])).toBeUndefined();
  });

  it('does not treat an IPv4-mapped address as its IPv4 address', () => {
    expect(matchDomain('[::ffff:127.0.0.1]', ['127.0.0.1'])).toBeUndefined();
  });

  it('matches nothing against an empty list or an empty host', () => {
    expect(matchDomain('example.com', [])).toBeUndefined();
    expect(matchDomain('', ['*.example.com'])).toBeUndefined();
  });
});

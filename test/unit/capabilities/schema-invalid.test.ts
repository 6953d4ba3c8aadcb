import { describe, expect, it } from 'vitest';
import { InvalidCapabilitiesError } from '../../../lib/errors.js';
import { validateCapabilities } from '../../../lib/capabilities/index.js';

function issuesOf(input: unknown): { path: string; message: string }[] {
  try {
    validateCapabilities(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidCapabilitiesError);
    expect((error as InvalidCapabilitiesError).code).toBe('INVALID_CAPABILITIES');
    return [...(error as InvalidCapabilitiesError).issues];
  }
  throw new Error('expected validateCapabilities to throw');
}

function messageOf(input: unknown): string {
  try {
    validateCapabilities(input);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected validateCapabilities to throw');
}

describe('validateCapabilities refuses bad fields', () => {
  it.each([null, 'p', 42, [], undefined])('refuses a non-object: %j', (input) => {
    expect(issuesOf(input)).toHaveLength(1);
  });

  it('requires projectId', () => {
    expect(issuesOf({})).toEqual([{ path: 'projectId', message: expect.stringContaining('required') }]);
  });

  it.each([[''], [7], ['a\nb'], ['x'.repeat(257)]])('refuses projectId %j', (projectId) => {
    expect(issuesOf({ projectId }).map((i) => i.path)).toEqual(['projectId']);
  });

  it.each(['allowFilesystem', 'allowNetwork', 'allowChildProcess', 'allowEval'])('refuses a non-boolean %s', (field) => {
    const issues = issuesOf({ projectId: 'p', [field]: 'yes' });
    expect(issues).toEqual([{ path: field, message: 'must be true or false, got "yes"' }]);
  });

  it.each(['maxMemory', 'maxCpu', 'maxFileDescriptors'])('refuses negative, fractional, non-number and infinite %s', (field) => {
    for (const value of [-1, 1.5, '10', Number.POSITIVE_INFINITY, Number.NaN]) {
      const issues = issuesOf({ projectId: 'p', [field]: value });
      expect(issues).toHaveLength(1);
      expect(issues[0]?.path).toBe(field);
      expect(issues[0]?.message).toMatch(/must be an integer ≥ 0/);
    }
  });

  it.each(['allowedPaths', 'readOnlyPaths'])('refuses relative paths, non-arrays and never-grantable roots in %s', (field) => {
    expect(issuesOf({ projectId: 'p', [field]: ['data'] })).toEqual([
      { path: `${field}.0`, message: 'must be an absolute path, got "data"' },
    ]);
    expect(issuesOf({ projectId: 'p', [field]: '/srv' })[0]?.path).toBe(field);
    expect(issuesOf({ projectId: 'p', [field]: [3] })[0]?.path).toBe(`${field}.0`);
    expect(issuesOf({ projectId: 'p', [field]: ['/srv', '/proc'] })).toEqual([
      { path: `${field}.1`, message: expect.stringContaining('/proc is never grantable') },
    ]);
    expect(issuesOf({ projectId: 'p', [field]: ['/sys/kernel'] })[0]?.message).toContain('/sys is never grantable');
    expect(issuesOf({ projectId: 'p', [field]: ['/srv/../dev/'] })[0]?.message).toContain('/dev is never grantable');
    expect(issuesOf({ projectId: 'p', [field]: ['/srv\0x'] })[0]?.path).toBe(`${field}.0`);
  });

  it('accepts /device and /process, which only share a prefix with /dev and /proc', () => {
    expect(validateCapabilities({ projectId: 'p', allowedPaths: ['/device', '/process'] }).allowedPaths).toHaveLength(2);
  });

  it.each([
    ['http://example.com', 'scheme'],
    ['example.com:8080', 'port'],
    ['[::1]:80', 'port'],
    ['example.com/path', 'path'],
    ['user@example.com', 'user info'],
    ['*', 'bare "*"'],
    ['*.*.example.com', 'leading label'],
    ['api.*.example.com', 'leading label'],
    ['*example.com', 'leading label'],
    ['example.*', 'leading label'],
    ['*.10.0.0.1', 'IP address'],
    ['', 'empty'],
    ['exa mple.com', 'whitespace'],
    ['-bad.com', 'valid host name'],
    ['a..b', 'valid host name'],
    ['127.1', 'dotted-quad'],
    ['0x7f000001', 'dotted-quad'],
    ['[example.com]', 'IPv6'],
    ['fe80::1%eth0', 'zone'],
  ])('refuses allowedDomains entry %j (%s)', (entry, why) => {
    const issues = issuesOf({ projectId: 'p', allowedDomains: ['ok.com', entry] });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('allowedDomains.1');
    expect(issues[0]?.message).toContain(why);
    expect(issues[0]?.message).toContain(JSON.stringify(entry));
  });

  it('refuses unknown fields, every one of them', () => {
    const issues = issuesOf({ projectId: 'p', allowNetwrok: true, maxMem: 1 });
    expect(issues.map((i) => i.path)).toEqual(['allowNetwrok', 'maxMem']);
    expect(issues[0]?.message).toMatch(/unknown field.*allowNetwork/);
  });

  it('lists every bad field and names them in the message', () => {
    const input = { projectId: '', allowedPaths: ['data'], maxMemory: -1, allowEval: 1, extra: true };
    expect(issuesOf(input).map((i) => i.path)).toEqual(['projectId', 'allowedPaths.0', 'allowEval', 'maxMemory', 'extra']);
    const message = messageOf(input);
    expect(message).toMatch(/^Invalid capabilities: /);
    expect(message).toContain('allowedPaths.0: must be an absolute path, got "data"');
    expect(message).toContain('maxMemory: must be an integer ≥ 0 (bytes; 0 = unlimited), got -1');
    expect(message).toContain('allowEval: must be true or false, got 1');
    expect(message).toContain('extra: unknown field');
  });
});

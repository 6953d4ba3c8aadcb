import { describe, expect, it } from 'vitest';
import { validateCapabilities } from '../../../lib/capabilities/index.js';

describe('validateCapabilities defaults and normalisation', () => {
  it('fills every omitted field with the custom-profile defaults', () => {
    expect(validateCapabilities({ projectId: 'p1' })).toEqual({
      projectId: 'p1',
      allowFilesystem: false,
      allowedPaths: [],
      readOnlyPaths: [],
      allowNetwork: false,
      allowedDomains: [],
      allowChildProcess: false,
      allowEval: false,
      maxMemory: 256 * 1024 * 1024,
      maxCpu: 60_000,
      maxFileDescriptors: 50,
    });
  });

  it('keeps given values', () => {
    const caps = validateCapabilities({
      projectId: 'p1',
      allowFilesystem: true,
      allowNetwork: true,
      allowChildProcess: true,
      allowEval: true,
      maxMemory: 0,
      maxCpu: 0,
      maxFileDescriptors: 0,
    });
    expect(caps).toMatchObject({ allowFilesystem: true, allowNetwork: true, allowChildProcess: true, allowEval: true });
    expect([caps.maxMemory, caps.maxCpu, caps.maxFileDescriptors]).toEqual([0, 0, 0]);
  });

  it('normalises paths: .. applied, duplicate and trailing slashes removed', () => {
    const caps = validateCapabilities({
      projectId: 'p',
      allowedPaths: ['/srv/data/', '/srv//x/../y', '/'],
      readOnlyPaths: ['/etc/ssl/./certs/'],
    });
    expect(caps.allowedPaths).toEqual(['/srv/data', '/srv/y', '/']);
    expect(caps.readOnlyPaths).toEqual(['/etc/ssl/certs']);
  });

  it('normalises domains: lower case, trailing dot, IPv6 brackets and spelling, IDN', () => {
    const caps = validateCapabilities({
      projectId: 'p',
      allowedDomains: ['API.Example.COM.', '*.Example.org', 'localhost', '127.0.0.1', '[0:0::1]', 'fd00::1', 'bücher.de'],
    });
    expect(caps.allowedDomains).toEqual([
      'api.example.com',
      '*.example.org',
      'localhost',
      '127.0.0.1',
      '::1',
      'fd00::1',
      'xn--bcher-kva.de',
    ]);
  });

  it('returns a deeply frozen object', () => {
    const caps = validateCapabilities({ projectId: 'p', allowedPaths: ['/srv'] });
    expect(Object.isFrozen(caps)).toBe(true);
    expect(Object.isFrozen(caps.allowedPaths)).toBe(true);
  });

  it('accepts its own output again unchanged', () => {
    const once = validateCapabilities({ projectId: 'p', allowedPaths: ['/a/'], allowedDomains: ['*.A.com'] });
    expect(validateCapabilities(once)).toEqual(once);
  });
});

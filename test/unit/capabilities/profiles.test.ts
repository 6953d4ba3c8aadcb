import { describe, expect, it } from 'vitest';
import { InvalidCapabilitiesError } from '../../../lib/errors.js';
import { profiles, type CapabilityOverrides } from '../../../lib/capabilities/index.js';

const MB = 1024 * 1024;

describe('profiles', () => {
  it('strict allows nothing: 100 MB, 30 s CPU, 10 fds', () => {
    expect(profiles.strict('p1')).toEqual({
      projectId: 'p1',
      allowFilesystem: false,
      allowedPaths: [],
      readOnlyPaths: [],
      allowNetwork: false,
      allowedDomains: [],
      allowChildProcess: false,
      allowEval: false,
      maxMemory: 100 * MB,
      maxCpu: 30_000,
      maxFileDescriptors: 10,
    });
  });

  it('permissive allows everything with empty lists: 512 MB, 5 min CPU, 100 fds', () => {
    expect(profiles.permissive('p1')).toEqual({
      projectId: 'p1',
      allowFilesystem: true,
      allowedPaths: [],
      readOnlyPaths: [],
      allowNetwork: true,
      allowedDomains: [],
      allowChildProcess: true,
      allowEval: true,
      maxMemory: 512 * MB,
      maxCpu: 300_000,
      maxFileDescriptors: 100,
    });
  });

  it('custom allows nothing by default: 256 MB, 1 min CPU, 50 fds', () => {
    expect(profiles.custom('p1')).toEqual({ ...profiles.strict('p1'), maxMemory: 256 * MB, maxCpu: 60_000, maxFileDescriptors: 50 });
  });

  it('custom applies validated overrides', () => {
    const caps = profiles.custom('p1', { allowNetwork: true, allowedDomains: ['API.example.com'], maxCpu: 0 });
    expect(caps).toMatchObject({ allowNetwork: true, allowedDomains: ['api.example.com'], maxCpu: 0, maxMemory: 256 * MB });
  });

  it('custom refuses unknown keys, bad values and projectId in overrides, listing all', () => {
    const overrides = { projectId: 'other', allowNetwrok: true, maxCpu: -1 } as unknown as CapabilityOverrides;
    let caught: unknown;
    try {
      profiles.custom('p1', overrides);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidCapabilitiesError);
    expect((caught as InvalidCapabilitiesError).issues.map((i) => i.path)).toEqual(['projectId', 'maxCpu', 'allowNetwrok']);
  });

  it('custom refuses overrides that are not an object', () => {
    expect(() => profiles.custom('p1', null as unknown as CapabilityOverrides)).toThrow(InvalidCapabilitiesError);
  });

  it.each(['strict', 'permissive', 'custom'] as const)('%s refuses an empty projectId', (name) => {
    expect(() => profiles[name]('')).toThrow(/projectId/);
  });

  it.each(['strict', 'permissive', 'custom'] as const)('%s returns a deeply frozen object', (name) => {
    const caps = profiles[name]('p1');
    expect(Object.isFrozen(caps)).toBe(true);
    expect(Object.isFrozen(caps.allowedPaths)).toBe(true);
    expect(Object.isFrozen(caps.allowedDomains)).toBe(true);
    expect(() => {
      (caps.allowedPaths as string[]).push('/x');
    }).toThrow(TypeError);
  });
});

import { describe, expect, it } from 'vitest';
import { missingLayers } from '../../lib/sandbox/fence-report.js';
import { InvocationLogs } from '../../lib/workers/invocation-logs.js';

describe('InvocationLogs', () => {
  it('keeps entries up to the byte limit, then one marker, then nothing', () => {
    const logs = new InvocationLogs(10);
    expect(logs.add({ level: 'log', message: 'hello', time: 1 })?.message).toBe('hello');
    expect(logs.add({ level: 'log', message: 'world', time: 2 })?.message).toBe('world');
    const marker = logs.add({ level: 'error', message: '!', time: 3 });
    expect(marker).toMatchObject({ level: 'warn', message: expect.stringContaining('truncated') });
    expect(logs.add({ level: 'log', message: 'x', time: 4 })).toBeUndefined();
    expect(logs.entries.map((e) => e.message)).toEqual(['hello', 'world', marker?.message]);
  });

  it('counts bytes, not characters', () => {
    const logs = new InvocationLogs(4);
    expect(logs.add({ level: 'log', message: 'żż', time: 1 })).toBeDefined();
    expect(logs.add({ level: 'log', message: 'ż', time: 1 })?.level).toBe('warn');
  });
});

describe('missingLayers', () => {
  it('is empty for a complete fence, with netns off when network is allowed', () => {
    expect(missingLayers({ landlock: 'on', landlockAbi: 7, seccomp: 'on', rlimits: 'on', noNewPrivs: 'on', netns: 'off', capabilities: 'on' })).toEqual([]);
  });

  it('names every required layer of an empty report (no fence at all)', () => {
    expect(missingLayers({})).toEqual(['landlock', 'seccomp', 'rlimits', 'noNewPrivs']);
  });

  it('names optional layers that are unavailable or in error', () => {
    expect(missingLayers({ landlock: 'unavailable', seccomp: 'on', rlimits: 'on', noNewPrivs: 'on', netns: 'error' })).toEqual(['landlock', 'netns']);
  });
});

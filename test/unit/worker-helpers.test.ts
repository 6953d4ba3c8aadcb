import { describe, expect, it } from 'vitest';
import { missingLayers } from '../../lib/sandbox/fence-report.js';
import { InvocationLogs } from '../../lib/workers/invocation-logs.js';
import { LeftoverWork } from '../../lib/workers/leftover-work.js';

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

describe('InvocationLogs after the answer', () => {
  it('a sealed log still counts against the cap but no longer adds to the entries handed out', () => {
    const logs = new InvocationLogs(10);
    logs.add({ level: 'log', message: 'hello', time: 1 });
    logs.seal();
    expect(logs.add({ level: 'log', message: 'late', time: 2 })?.message).toBe('late');
    expect(logs.add({ level: 'log', message: 'later', time: 3 })?.level).toBe('warn');
    expect(logs.entries.map((e) => e.message)).toEqual(['hello']);
    expect(logs.bytes).toBe(10);
  });
});

describe('LeftoverWork', () => {
  const line = (message: string) => ({ level: 'log' as const, message, time: 0 });
  const breaches = () => {
    const seen: string[] = [];
    return { seen, work: new LeftoverWork(10, (reason) => seen.push(reason)) };
  };

  it('passes lines of an answered invocation within what is left of its budget, then a marker, then nothing', () => {
    const { seen, work } = breaches();
    work.answered(1, Infinity, 4);
    expect(work.log(1, line('abcdef'))?.message).toBe('abcdef');
    expect(work.log(1, line('x'))?.message).toMatch(/^\[truncated: invocation 1, after its answer, went past maxLogBytes \(10\)/);
    expect(seen).toHaveLength(1);
    expect(work.log(1, line('y'))).toBeUndefined();
    expect(seen).toHaveLength(1);
  });

  it('a line or a host call of an invocation past its deadline, or unknown, is a breach', () => {
    const a = breaches();
    a.work.answered(1, performance.now() - 1, 0);
    expect(a.work.log(1, line('late'))).toBeUndefined();
    expect(a.seen).toEqual([expect.stringContaining('past its deadline')]);
    const b = breaches();
    b.work.answered(2, performance.now() + 60_000, 0);
    b.work.activity(2);
    expect(b.seen).toEqual([]);
    b.work.activity(1);
    expect(b.seen).toEqual([expect.stringContaining('host call after its answer')]);
  });

  it('id 0 is the load before any answer, then the invocation answered last; until is the latest deadline', () => {
    const { seen, work } = breaches();
    expect(work.until).toBe(0);
    expect(work.log(0, line('loading'))?.message).toBe('loading');
    const soon = performance.now() + 60_000;
    work.answered(1, soon, 10);
    work.answered(2, soon + 1, 0);
    expect(work.until).toBe(soon + 1);
    expect(work.log(0, line('0123456789'))?.message).toBe('0123456789');
    expect(work.log(1, line('x'))?.level).toBe('warn');
    expect(seen).toHaveLength(1);
  });
});

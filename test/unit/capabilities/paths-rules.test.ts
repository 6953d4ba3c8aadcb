import { describe, expect, it } from 'vitest';
import { checkPath, isInside } from '../../../lib/capabilities/index.js';

// These paths need not exist: checkPath judges non-existent paths lexically.
const fs = (allowedPaths: string[], readOnlyPaths: string[] = []) => ({ allowFilesystem: true, allowedPaths, readOnlyPaths });

describe('isInside', () => {
  it('uses a separator boundary', () => {
    expect(isInside('/srv/data', '/srv/data')).toBe(true);
    expect(isInside('/srv/data', '/srv/data/x/y')).toBe(true);
    expect(isInside('/srv/data', '/srv/data-evil')).toBe(false);
    expect(isInside('/srv/data', '/srv/dat')).toBe(false);
    expect(isInside('/srv/data', '/srv')).toBe(false);
    expect(isInside('/', '/anything')).toBe(true);
  });
});

describe('checkPath rules', () => {
  it('denies everything without allowFilesystem, even listed paths', () => {
    const caps = { allowFilesystem: false, allowedPaths: ['/nonexistent-srv'], readOnlyPaths: ['/nonexistent-ro'] };
    expect(checkPath('/nonexistent-srv/a', caps, 'read')).toEqual({
      allowed: false,
      resolved: '/nonexistent-srv/a',
      rule: 'filesystem not allowed',
    });
  });

  it('allows every path with an empty allowedPaths, except /proc, /sys, /dev', () => {
    expect(checkPath('/nonexistent-root/x', fs([]), 'write')).toEqual({ allowed: true, resolved: '/nonexistent-root/x' });
    expect(checkPath('/proc/self/status', fs([]), 'read')).toMatchObject({ allowed: false, rule: '/proc is never grantable' });
    expect(checkPath('/sys/kernel', fs([]), 'read')).toMatchObject({ allowed: false, rule: '/sys is never grantable' });
    expect(checkPath('/dev/null', fs([]), 'write')).toMatchObject({ allowed: false, rule: '/dev is never grantable' });
  });

  it('denies /proc, /sys and /dev even when listed', () => {
    expect(checkPath('/proc/1/environ', fs(['/proc', '/']), 'read')).toMatchObject({ allowed: false, rule: '/proc is never grantable' });
    expect(checkPath('/dev/tcp', fs(['/dev']), 'read')).toMatchObject({ allowed: false, rule: '/dev is never grantable' });
  });

  it('denies a path that only passes through /proc on the way', () => {
    // /proc/self/root is a symlink to "/", so this resolves to /etc/hostname.
    expect(checkPath('/proc/self/root/etc/hostname', fs([]), 'read')).toMatchObject({
      allowed: false,
      rule: '/proc is never grantable',
    });
  });

  it('allows only inside allowedPaths, with a separator boundary', () => {
    const caps = fs(['/nonexistent-srv/data']);
    expect(checkPath('/nonexistent-srv/data', caps, 'read').allowed).toBe(true);
    expect(checkPath('/nonexistent-srv/data/a/b', caps, 'write').allowed).toBe(true);
    expect(checkPath('/nonexistent-srv/data-evil', caps, 'read')).toMatchObject({ allowed: false, rule: 'outside allowedPaths' });
    expect(checkPath('/nonexistent-srv/data-evil/x', caps, 'read').allowed).toBe(false);
    expect(checkPath('/etc/passwd', caps, 'read')).toMatchObject({ allowed: false, rule: 'outside allowedPaths' });
  });

  it('applies .. before judging', () => {
    const caps = fs(['/nonexistent-srv/data']);
    expect(checkPath('/nonexistent-srv/data/../secret', caps, 'read')).toEqual({
      allowed: false,
      resolved: '/nonexistent-srv/secret',
      rule: 'outside allowedPaths',
    });
    expect(checkPath('/nonexistent-srv/data/a/../../data/b', caps, 'read')).toEqual({
      allowed: true,
      resolved: '/nonexistent-srv/data/b',
    });
    expect(checkPath('/nonexistent-srv/data/../../../../etc/passwd', caps, 'read').allowed).toBe(false);
  });

  it('makes relative targets absolute against the current directory', () => {
    const decision = checkPath('some/file', fs([process.cwd()]), 'read');
    expect(decision).toEqual({ allowed: true, resolved: `${process.cwd()}/some/file` });
    expect(checkPath('../outside', fs([process.cwd()]), 'read').allowed).toBe(false);
  });

  it('makes readOnlyPaths readable but never writable, even inside allowedPaths', () => {
    const caps = fs(['/nonexistent-srv'], ['/nonexistent-srv/ro', '/nonexistent-etc']);
    expect(checkPath('/nonexistent-srv/ro/f', caps, 'read').allowed).toBe(true);
    expect(checkPath('/nonexistent-srv/ro/f', caps, 'write')).toMatchObject({ allowed: false, rule: 'read-only path' });
    expect(checkPath('/nonexistent-srv/rw/f', caps, 'write').allowed).toBe(true);
    expect(checkPath('/nonexistent-etc/x', caps, 'read').allowed).toBe(true);
    expect(checkPath('/nonexistent-etc/x', caps, 'write')).toMatchObject({ allowed: false, rule: 'read-only path' });
    expect(checkPath('/nonexistent-other', caps, 'read')).toMatchObject({
      allowed: false,
      rule: 'outside allowedPaths and readOnlyPaths',
    });
  });

  it('keeps readOnlyPaths read-only when allowedPaths is empty', () => {
    const caps = fs([], ['/nonexistent-ro']);
    expect(checkPath('/nonexistent-ro/a', caps, 'read').allowed).toBe(true);
    expect(checkPath('/nonexistent-ro/a', caps, 'write')).toMatchObject({ allowed: false, rule: 'read-only path' });
    expect(checkPath('/nonexistent-elsewhere/a', caps, 'write').allowed).toBe(true);
  });
});

import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPath } from '../../../lib/capabilities/index.js';

let root: string;
let data: string;
let secret: string;

beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'caps-paths-')));
  data = join(root, 'data');
  secret = join(root, 'secret');
  mkdirSync(join(data, 'sub'), { recursive: true });
  mkdirSync(secret);
  mkdirSync(join(root, 'data-evil'));
  writeFileSync(join(secret, 'key'), 'k');
  writeFileSync(join(data, 'ok.txt'), 'ok');
  symlinkSync(secret, join(data, 'escape')); // absolute link out
  symlinkSync('../secret/key', join(data, 'rel-escape')); // relative link out
  symlinkSync('sub', join(data, 'inner')); // link that stays inside
  symlinkSync(join(secret, 'not-yet'), join(data, 'dangling')); // dangling, target outside
  symlinkSync('sub/new-file', join(data, 'dangling-inside')); // dangling, target inside
  symlinkSync('loop-b', join(data, 'loop-a'));
  symlinkSync('loop-a', join(data, 'loop-b'));
  symlinkSync(join(secret, 'key'), join(root, 'outside-link')); // not inside data at all
  symlinkSync(join(data, 'sub'), join(secret, 'back-in')); // from outside into data
  symlinkSync('/proc/self', join(data, 'proc-link'));
  symlinkSync(data, join(root, 'data-alias')); // allowed dir listed through a symlink
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const caps = () => ({ allowFilesystem: true, allowedPaths: [data], readOnlyPaths: [] as string[] });

describe('checkPath with real symlinks', () => {
  it('allows real files inside', () => {
    expect(checkPath(join(data, 'ok.txt'), caps(), 'read')).toEqual({ allowed: true, resolved: join(data, 'ok.txt') });
  });

  it('denies an absolute symlink out of the allowed dir', () => {
    expect(checkPath(join(data, 'escape', 'key'), caps(), 'read')).toEqual({
      allowed: false,
      resolved: join(secret, 'key'),
      rule: 'outside allowedPaths',
    });
  });

  it('denies a relative symlink out of the allowed dir', () => {
    expect(checkPath(join(data, 'rel-escape'), caps(), 'read')).toMatchObject({ allowed: false, resolved: join(secret, 'key') });
  });

  it('allows a symlink that stays inside, judged at its target', () => {
    expect(checkPath(join(data, 'inner', 'x'), caps(), 'write')).toEqual({ allowed: true, resolved: join(data, 'sub', 'x') });
  });

  it('applies .. after following the symlink, as the kernel does', () => {
    // path.join would apply .. lexically, so these are built as plain strings.
    // Lexically this is data/secret/key; the kernel opens secret/../secret/key.
    expect(checkPath(`${data}/escape/../secret/key`, caps(), 'read')).toMatchObject({
      allowed: false,
      resolved: join(secret, 'key'),
    });
    // Lexically outside, but escape/.. is root, then root/data/ok.txt is inside.
    expect(checkPath(`${data}/escape/../data/ok.txt`, caps(), 'read')).toMatchObject({ allowed: true });
    expect(checkPath(`${data}/rel-escape/..`, caps(), 'read')).toMatchObject({ allowed: false, resolved: secret });
  });

  it('judges a non-existent target inside an allowed dir by its real parent', () => {
    expect(checkPath(join(data, 'new', 'deep', 'file'), caps(), 'write')).toEqual({
      allowed: true,
      resolved: join(data, 'new', 'deep', 'file'),
    });
    expect(checkPath(join(data, 'escape', 'new-file'), caps(), 'write')).toMatchObject({
      allowed: false,
      resolved: join(secret, 'new-file'),
    });
  });

  it('follows the link text of a dangling symlink', () => {
    expect(checkPath(join(data, 'dangling'), caps(), 'write')).toEqual({
      allowed: false,
      resolved: join(secret, 'not-yet'),
      rule: 'outside allowedPaths',
    });
    expect(checkPath(join(data, 'dangling-inside'), caps(), 'write')).toEqual({
      allowed: true,
      resolved: join(data, 'sub', 'new-file'),
    });
  });

  it('denies symlink loops', () => {
    expect(checkPath(join(data, 'loop-a'), caps(), 'read')).toMatchObject({
      allowed: false,
      rule: 'too many levels of symbolic links',
    });
  });

  it('allows a path outside that links back into the allowed dir, judged at its target', () => {
    expect(checkPath(join(secret, 'back-in', 'f'), caps(), 'read')).toEqual({ allowed: true, resolved: join(data, 'sub', 'f') });
    expect(checkPath(join(root, 'outside-link'), caps(), 'read').allowed).toBe(false);
  });

  it('denies a symlink into /proc even from an allowed dir', () => {
    expect(checkPath(join(data, 'proc-link', 'environ'), caps(), 'read')).toMatchObject({
      allowed: false,
      rule: '/proc is never grantable',
    });
  });

  it('does not treat a sibling with the same prefix as inside', () => {
    expect(checkPath(join(root, 'data-evil', 'x'), caps(), 'write')).toMatchObject({ allowed: false, rule: 'outside allowedPaths' });
  });

  it('canonicalises the listed directories too', () => {
    const viaAlias = { allowFilesystem: true, allowedPaths: [join(root, 'data-alias')], readOnlyPaths: [] };
    expect(checkPath(join(data, 'ok.txt'), viaAlias, 'read')).toEqual({ allowed: true, resolved: join(data, 'ok.txt') });
    expect(checkPath(join(root, 'data-alias', 'escape', 'key'), viaAlias, 'read').allowed).toBe(false);
  });

  it('applies read-only rules after symlink resolution', () => {
    const ro = { allowFilesystem: true, allowedPaths: [root], readOnlyPaths: [secret] };
    expect(checkPath(join(data, 'escape', 'key'), ro, 'read').allowed).toBe(true);
    expect(checkPath(join(data, 'escape', 'key'), ro, 'write')).toMatchObject({ allowed: false, rule: 'read-only path' });
    expect(checkPath(join(data, 'dangling'), ro, 'write')).toMatchObject({ allowed: false, rule: 'read-only path' });
  });
});

import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { profiles } from '../../lib/capabilities/index.js';
import { BUN_JIT_RESERVATION_BYTES, bunLauncherArgs, sharedLibraries } from '../../lib/sandbox/launcher-args.js';

const base = { bun: '/opt/bun', entry: '/pkg/dist/entry/bun.js', workdir: '/tmp/w', require: false };

function flags(args: string[], name: string): string[] {
  return args.flatMap((a, i) => (a === name ? [args[i + 1] as string] : []));
}

describe('bunLauncherArgs', () => {
  it('fences a strict profile: no files, no children, no network, limits set, Bun last', () => {
    const args = bunLauncherArgs({ ...base, capabilities: profiles.strict('p') });
    expect(args).not.toContain('--allow-fs');
    expect(args).not.toContain('--allow-child');
    expect(args).not.toContain('--allow-net');
    expect(flags(args, '--fs-rw')).toEqual([]);
    expect(flags(args, '--read')).toContain('/pkg/dist/entry');
    expect(flags(args, '--keep-fd')).toEqual(['3']);
    expect(flags(args, '--max-fds')).toEqual(['26']);
    // maxMemory + Bun's headroom + the JIT's executable reservation, which Bun is told to keep that small.
    expect(Number(flags(args, '--data-bytes')[0])).toBe(100 * 1024 * 1024 + 400 * 1024 * 1024 + BUN_JIT_RESERVATION_BYTES);
    expect(flags(args, '--env')).toContain(`BUN_JSC_jitMemoryReservationSize=${BUN_JIT_RESERVATION_BYTES}`);
    expect(Number(flags(args, '--cpu-seconds')[0])).toBeGreaterThanOrEqual(600);
    expect(args.slice(args.indexOf('--'))).toEqual(['--', '/opt/bun', '--smol', '/pkg/dist/entry/bun.js']);
  });

  it('maps allowed and read-only paths, children, network and --require', () => {
    const root = mkdtempSync(join(tmpdir(), 'launcher-args-'));
    const [a, ro] = [join(root, 'a'), join(root, 'ro')];
    mkdirSync(a);
    mkdirSync(ro);
    const caps = profiles.custom('p', {
      allowFilesystem: true,
      allowedPaths: [a, join(root, 'missing')],
      readOnlyPaths: [ro],
      allowChildProcess: true,
      allowNetwork: true,
      maxMemory: 0,
      maxCpu: 0,
      maxFileDescriptors: 0,
    });
    const args = bunLauncherArgs({ ...base, capabilities: caps, require: true });
    // A directory that does not exist cannot be granted, and is not: it stays unreachable.
    expect(flags(args, '--fs-rw')).toEqual([a]);
    expect(flags(args, '--fs-ro')).toEqual([ro]);
    expect(args).not.toContain('--allow-fs');
    expect(args).toContain('--allow-child');
    expect(flags(args, '--exec')).toContain('/usr/bin');
    expect(args).toContain('--allow-net');
    expect(args).toContain('--require');
    for (const unlimited of ['--max-fds', '--data-bytes', '--cpu-seconds']) expect(args).not.toContain(unlimited);
  });

  it('uses --allow-fs for "every path" (allowFilesystem with no list)', () => {
    const args = bunLauncherArgs({ ...base, capabilities: profiles.permissive('p') });
    expect(args).toContain('--allow-fs');
    expect(flags(args, '--fs-rw')).toEqual([]);
  });
});

describe('sharedLibraries', () => {
  it('lists the real paths of what a dynamic binary loads, and nothing for a missing one', () => {
    const libs = sharedLibraries(process.execPath);
    expect(libs.some((l) => /libc\.so/.test(l))).toBe(true);
    for (const lib of libs) expect(lib.startsWith('/')).toBe(true);
    expect(sharedLibraries('/nonexistent/binary')).toEqual([]);
  });
});

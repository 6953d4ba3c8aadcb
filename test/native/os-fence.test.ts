import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { bodyText, NativeWorker } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

async function start(source: string, osSandbox: boolean, caps = {}) {
  w = new NativeWorker();
  const m = await w.init(source, caps, { osSandbox });
  expect(m.type).toBe('ready');
  return m;
}

describe('native worker: the OS fence', () => {
  it('applies every layer before loading the handler and reports it in ready', async () => {
    const m = await start(`export default () => new Response('x')`, true);
    expect(m.payload['sandbox']).toMatchObject({ landlock: 'on', seccomp: 'on', rlimits: 'on', netns: 'on', noNewPrivs: 'on' });
    const status = readFileSync(`/proc/${w!.child.pid}/status`, 'utf8');
    expect(status).toMatch(/NoNewPrivs:\s+1/);
    expect(status).toMatch(/Seccomp:\s+2/);
  });

  it('keeps the network namespace of the host when the profile allows network', async () => {
    const m = await start(`export default () => new Response('x')`, true, { allowNetwork: true });
    expect(m.payload['sandbox']).toMatchObject({ netns: 'off', landlock: 'on', seccomp: 'on' });
  });

  it('reports no layers when started with osSandbox: false', async () => {
    const m = await start(`export default () => new Response('x')`, false);
    expect(m.payload['sandbox']).toEqual({});
  });

  it('still serves the filesystem the profile grants, inside Landlock', async () => {
    const dir = process.cwd();
    await start(`import { readFile } from 'node:fs/promises'; export default async () => new Response((await readFile('${dir}/package.json', 'utf8')).slice(0, 1))`, true, {
      allowFilesystem: true,
      allowedPaths: [dir],
    });
    expect(bodyText(await w!.invoke())).toBe('{');
  });
});

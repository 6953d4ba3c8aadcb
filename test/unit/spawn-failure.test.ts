import { describe, expect, it } from 'vitest';
import { spawnFailure } from '../../lib/workers/spawn-resources.js';

describe('spawnFailure', () => {
  it('turns exhaustion errno codes into RESOURCE_EXHAUSTED and anything else into WORKER_CRASHED', () => {
    const errno = (code: string) => Object.assign(new Error(`spawn ${code}`), { code });
    for (const code of ['EMFILE', 'ENFILE', 'EAGAIN', 'ENOMEM']) {
      expect(spawnFailure('bun', errno(code))).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    }
    expect(spawnFailure('bun', errno('ENOENT'))).toMatchObject({ code: 'WORKER_CRASHED' });
    expect(spawnFailure('bun', new TypeError('x'))).toMatchObject({ code: 'WORKER_CRASHED' });
  });
});

// Type test, run by `npm run typecheck` against the library's exported types (what
// a user's editor sees): `capabilities` is typed, so typos do not compile.
import { createPool, profiles, type PoolOptions } from 'bunbase-functions';

const source = { code: 'export default () => new Response("ok")' };

// Profiles and plain objects of capability fields are accepted.
createPool({ runtime: 'quickjs-ng', capabilities: profiles.strict('p'), source });
createPool({ runtime: 'bun', capabilities: profiles.custom('p', { allowNetwork: true }), source });
createPool({ runtime: 'bun', capabilities: { projectId: 'p', allowNetwork: true, allowedDomains: ['example.com'] }, source });

// @ts-expect-error a misspelt capability field
createPool({ runtime: 'bun', capabilities: { projectId: 'p', allowNetwrk: true }, source });

// @ts-expect-error projectId is required
createPool({ runtime: 'bun', capabilities: { allowNetwork: true }, source });

// @ts-expect-error a capability of the wrong type
createPool({ runtime: 'bun', capabilities: { projectId: 'p', maxMemory: '256MB' }, source });

// @ts-expect-error a misspelt option
createPool({ runtime: 'bun', capabilities: profiles.strict('p'), source, maxWorker: 2 });

export const options: PoolOptions = { runtime: 'quickjs-ng', capabilities: { projectId: 'p' }, source };

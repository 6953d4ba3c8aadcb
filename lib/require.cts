/**
 * What `require('bunbase-functions')` gets. The package is an ES module:
 * Node 20.19, 22.12 and later load one from CommonJS as it is (require of
 * an ES module); an older Node cannot, and there a CommonJS host gets this
 * message instead of Node's "No exports main defined", which names no way
 * out. Without a `require` condition at all, even the Nodes that can would
 * have been refused.
 */
const esmOnly = new Set(['ERR_REQUIRE_ESM', 'ERR_REQUIRE_ASYNC_MODULE']);

let loaded: unknown;
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the whole point: CommonJS loading the ES module
  loaded = require('./index.js') as unknown;
} catch (error) {
  if (!esmOnly.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  throw new Error(
    `bunbase-functions is an ES module, and Node ${process.version} cannot require() one: ` +
      "load it with `const { createPool } = await import('bunbase-functions')`, or run Node 20.19, 22.12 or later.",
    { cause: error },
  );
}
module.exports = loaded;

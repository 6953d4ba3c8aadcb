// Runs each bundle's handler once in plain Node with the suite's fixed request
// and prints { [key]: outcome } as JSON: the reference the workers must match.
// Usage: node node-reference.mjs <json file: [{ key, file }]> <request json>
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const jobs = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const request = JSON.parse(process.argv[3]);
const outcomes = {};
for (const { key, file } of jobs) {
  // esbuild's __require shim looks for a free `require`, as Bun provides one in ES modules.
  globalThis.require = createRequire(file);
  try {
    const module = await import(pathToFileURL(file).href);
    const response = await module.default.fetch(
      new Request(request.url, { method: request.method, headers: request.headers, body: request.body }),
    );
    outcomes[key] = { status: response.status, body: await response.json() };
  } catch (error) {
    outcomes[key] = { error: error?.name ?? 'Error', message: String(error?.message ?? error) };
  } finally {
    delete globalThis.require;
  }
}
// Exit once written: a package may leave its event loop busy for good (React's scheduler
// keeps a MessageChannel port listening, which Node counts as a reason to stay alive).
process.stdout.write(JSON.stringify(outcomes), () => process.exit(0));

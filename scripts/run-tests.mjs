// Runs vitest and ends with the plain `N passed, N failed` line CI reads
// (vitest's own summary is not one CI recognises). Exits with vitest's code.
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const results = join(root, '.vitest-results.json');
rmSync(results, { force: true });
const vitest = spawnSync(
  process.execPath,
  [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...process.argv.slice(2)],
  { stdio: 'inherit', cwd: root },
);
let summary;
try {
  const report = JSON.parse(readFileSync(results, 'utf8'));
  const counts = { passed: report.numPassedTests, failed: report.numFailedTests, skipped: report.numPendingTests + report.numTodoTests };
  summary = `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
  // .ci/run adds up several runs (the normal one and the sanitizer one) into one closing line.
  if (process.env.BUNBASE_TEST_TOTALS) appendFileSync(process.env.BUNBASE_TEST_TOTALS, JSON.stringify(counts) + '\n');
  if (report.numTotalTests === 0) {
    console.error('No test ran.');
    process.exitCode = 1;
  }
} catch {
  summary = '0 passed, 1 failed';
}
console.log(`\n${summary}`);
process.exitCode = vitest.status ?? 1;

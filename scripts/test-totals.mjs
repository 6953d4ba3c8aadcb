// Prints one `N passed, N failed` line for all the runs recorded in the file named by argv[2].
import { readFileSync } from 'node:fs';

const totals = { passed: 0, failed: 0, skipped: 0 };
for (const line of readFileSync(process.argv[2], 'utf8').split('\n')) {
  if (line.trim() === '') continue;
  const run = JSON.parse(line);
  for (const key of Object.keys(totals)) totals[key] += run[key];
}
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);

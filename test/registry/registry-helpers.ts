import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A fresh directory for a database file; removed by the returned cleanup. */
export function tempDatabase(): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bunbase-registry-'));
  return { path: join(dir, 'registry.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The package entry as a file URL, for scripts run in a child process (they cannot use the test alias). */
export const PACKAGE_ENTRY = new URL('../../dist/index.js', import.meta.url).href;

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** Runs `node script ...args` and resolves with its exit code and output. */
export function runNode(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PACKAGE_ENTRY } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export const ECHO = `export default { async fetch(req, env) {
  const url = new URL(req.url);
  return Response.json({ path: url.pathname, query: url.search, method: req.method, body: await req.text(), greeting: env.GREETING ?? null });
} }`;

export const versioned = (n: number): string => `export default () => new Response('version ${n}')`;

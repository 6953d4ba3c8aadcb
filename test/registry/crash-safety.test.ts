import { afterAll, expect, it } from 'vitest';
import { createRegistry, validateCapabilities } from 'bunbase-functions';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { FIXTURES, PACKAGE_ENTRY, tempDatabase } from './registry-helpers.js';

const db = tempDatabase();
afterAll(() => db.cleanup());

/** Starts the writer, lets it report `changes` changes, kills it with SIGKILL after a few more ms; returns what it reported. */
function runAndKill(changes: number, verify: boolean): Promise<{ lines: string[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(FIXTURES, 'crash-writer.mjs'), db.path, verify ? 'verify' : ''], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PACKAGE_ENTRY },
    });
    let out = '';
    let err = '';
    let killing = false;
    const watchdog = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!killing && out.split('\n').length > changes) {
        killing = true;
        // A varying delay so the kill lands at different points of the next change.
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 8));
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      if (err !== '') reject(new Error(`writer failed (code ${code}): ${err}`));
      else resolve({ lines: out.split('\n').filter((l) => l !== ''), signal });
    });
  });
}

it('leaves the store consistent when the host is killed with SIGKILL during register, deploy or updateCapabilities', async () => {
  const reported: string[] = [];
  for (let round = 0; round < 8; round++) {
    const { lines, signal } = await runAndKill(3 + ((round * 5) % 11), round % 4 === 3);
    expect(signal).toBe('SIGKILL');
    reported.push(...lines);
  }
  expect(reported.length).toBeGreaterThan(20);

  // This process opens what the killed ones left.
  const raw = new Database(db.path, { readonly: true });
  expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(raw.pragma('foreign_key_check')).toEqual([]);
  const functions = raw.prepare('SELECT * FROM functions').all() as Record<string, string & number>[];
  expect(functions.length).toBeGreaterThanOrEqual(3);
  for (const f of functions) {
    const versions = (raw.prepare('SELECT version FROM function_versions WHERE function_id = ? ORDER BY version').all(f['id']) as { version: number }[]).map((v) => v.version);
    expect(versions).toContain(f['active_version']);
    expect(Math.max(...versions)).toBe(f['latest_version']);
    expect(versions.length).toBeLessThanOrEqual(3);
    const history = raw.prepare('SELECT capabilities_json FROM capability_history WHERE function_id = ? ORDER BY seq').all(f['id']) as { capabilities_json: string }[];
    expect(history.at(-1)?.capabilities_json).toBe(f['capabilities_json']);
    validateCapabilities(JSON.parse(f['capabilities_json']));
  }
  // Every change a writer reported as done survived its kill.
  const byId = new Map(functions.map((f) => [f['id'], f]));
  const lastCpu = new Map<string, number>();
  for (const line of reported) {
    const [op, id, value] = line.split(' ') as [string, string, string];
    const row = byId.get(id);
    expect(row, line).toBeDefined();
    if (op === 'deploy') expect(row!['latest_version']).toBeGreaterThanOrEqual(Number(value));
    if (op === 'capabilities') lastCpu.set(id, Number(value));
  }
  for (const [id, cpu] of lastCpu) {
    const cpus = (raw.prepare('SELECT capabilities_json FROM capability_history WHERE function_id = ?').all(id) as { capabilities_json: string }[]).map(
      (h) => JSON.parse(h.capabilities_json).maxCpu as number,
    );
    expect(cpus).toContain(cpu);
  }
  raw.close();

  // And the registry opens it and runs what it holds.
  const registry = await createRegistry({ database: db.path });
  try {
    const records = await registry.list({ projectId: 'crash' });
    expect(records.length).toBe(functions.length);
    for (const record of records.slice(0, 3)) {
      expect((await registry.invoke(record.id, {})).text()).toMatch(/^v\d+$/);
    }
  } finally {
    await registry.close();
  }
});

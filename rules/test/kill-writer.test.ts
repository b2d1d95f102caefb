import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteRulesStore } from '../index.ts';

// kill -9 of the rules engine while its alarm writer thread has batches in
// flight (issue 18): every batch whose Promise resolved (its PUBACK could
// have gone out) is in the database after a restart, with its outbox row;
// those in flight were never acknowledged (the broker would send them again).

const child = fileURLToPath(new URL('./fixtures/writer-child.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tz-rules-kill-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('SIGKILL with batches in flight loses no batch that was answered', async () => {
  const path = join(dir, 'rules.db');
  const proc = spawn(process.execPath, ['--import', 'tsx', child, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const answered: string[] = [];
  const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.once('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      answered.push(...lines);
      // Killed mid-stream: batches keep being posted and committed while the signal lands.
      if (answered.length >= 100) resolve();
    });
    void exited.then(() => reject(new Error(`child exited after ${answered.length} answers`)));
  });
  proc.kill('SIGKILL');
  assert.is(await exited, 'SIGKILL');
  assert.not.ok(answered.some((l) => l.startsWith('failed')), 'no batch failed');
  const store = new SqliteRulesStore(path, { checkpointWorker: false });
  try {
    const stored = new Set(store.listAlarms({ state: 'open', limit: 1_000_000 }).map((a) => a.deviceId));
    const missing = answered.filter((d) => !stored.has(d));
    assert.equal(missing, [], `every answered batch's alarm survived (${answered.length} answered, ${stored.size} stored)`);
    const events = new Set(store.claimOutbox('cases', 1_000_000).map((r) => (JSON.parse(r.payload) as { alarm: { deviceId: string } }).alarm.deviceId));
    assert.equal(answered.filter((d) => !events.has(d)), [], 'and its outbox row');
    assert.ok(stored.size >= answered.length);
  } finally {
    await store.close();
  }
});

test.run();

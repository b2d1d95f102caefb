import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteRulesStore } from '../index.ts';

// kill -9 of the rules service while its batches wait for their WAL sync
// (issue 18): their PUBACKs were never sent, and the alarm rows they
// committed are in the WAL (written to the OS before the sync was asked for),
// so a restart finds every alarm and every outbox row. The broker would
// deliver the batches again; their readings then find the alarm open.

const child = fileURLToPath(new URL('./fixtures/held-sync-child.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tz-rules-kill-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('SIGKILL with batches waiting for their sync loses no alarm row', async () => {
  const path = join(dir, 'rules.db');
  const proc = spawn(process.execPath, ['--import', 'tsx', child, path, '5'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const said = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    proc.once('exit', (code) => reject(new Error(`child exited (${code}) before committing: ${out}`)));
  });
  assert.is(said, 'committed 5 waiting 4', 'five batches committed, none synced (one fsync in flight, four waiting for the next)');
  const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.once('exit', (_code, signal) => resolve(signal)));
  proc.kill('SIGKILL');
  assert.is(await exited, 'SIGKILL');
  const store = new SqliteRulesStore(path, { checkpointWorker: false });
  try {
    assert.equal(store.listAlarms({ state: 'open', limit: 10 }).map((a) => a.deviceId).sort(), ['mh-0', 'mh-1', 'mh-2', 'mh-3', 'mh-4']);
    assert.is(store.claimOutbox('cases', 10).length, 5, 'every event waits in the outbox');
  } finally {
    store.close();
  }
});

test.run();

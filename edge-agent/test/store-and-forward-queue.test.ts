// Both StoreAndForwardQueue implementations against the shared suite, plus
// what only the SQLite queue promises: it survives kill -9 of its process.
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStoreAndForwardQueue, SqliteStoreAndForwardQueue, type StoreAndForwardQueue } from '../index.ts';
import { storeAndForwardQueueSuite } from './store-and-forward-queue.suite.ts';

const dir = mkdtempSync(join(tmpdir(), 'tz-queue-'));
let n = 0;
const files = new Map<StoreAndForwardQueue, string>();

storeAndForwardQueueSuite('MemoryStoreAndForwardQueue', { open: (max) => new MemoryStoreAndForwardQueue(max) }).run();

storeAndForwardQueueSuite('SqliteStoreAndForwardQueue', {
  open(max) {
    const file = join(dir, `q${++n}.sqlite`);
    const q = new SqliteStoreAndForwardQueue(file, max);
    files.set(q, file);
    return q;
  },
  reopen(q) {
    const file = files.get(q)!;
    q.close();
    const again = new SqliteStoreAndForwardQueue(file, q.maxBytes);
    files.set(again, file);
    return again;
  },
}).run();

// A child process appends as fast as it can and reports each id once append()
// returned; we SIGKILL it mid-stream. Every reported id must be on disk, whole.
const WRITER = `
import { SqliteStoreAndForwardQueue } from ${JSON.stringify(new URL('../index.ts', import.meta.url).pathname)};
const q = new SqliteStoreAndForwardQueue(process.env.TZ_QUEUE_FILE, 1e9);
for (let i = 1; ; i++) {
  const payload = new Uint8Array(200).fill(i & 0xff);
  const { id } = q.append({ payload, readings: 1, firstReadingAtMs: i });
  process.stdout.write(id + '\\n');
}
`;

test('SQLite queue: every append that returned survives kill -9, whole and in order', async () => {
  const file = join(dir, 'killed.sqlite');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', WRITER], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TZ_QUEUE_FILE: file } });
  let out = '';
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.split('\n').length > 300) resolve();
    });
  });
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('close', resolve));
  const acknowledged = out.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  const q = new SqliteStoreAndForwardQueue(file, 1e9);
  const kept = q.read(0, 1e6);
  assert.ok(acknowledged.length >= 300);
  // Nothing acknowledged is missing; at most the one append in progress may also have landed.
  assert.ok(kept.length >= acknowledged.length && kept.length <= acknowledged.length + 1, `${kept.length} kept, ${acknowledged.length} acknowledged`);
  kept.forEach((b, i) => {
    assert.is(b.id, i + 1, 'contiguous ids');
    assert.is(b.payload.byteLength, 200);
    assert.ok(b.payload.every((x) => x === (b.firstReadingAtMs & 0xff)), `batch ${b.id} intact`);
  });
  q.close();
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();

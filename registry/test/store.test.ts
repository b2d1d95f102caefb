// The SQLite registry store against the shared RegistryStore suite (the
// PostgreSQL store runs the same suite in test/integration/postgres-registry-store.test.ts).
import { test } from 'uvu';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteRegistryStore } from '../store.ts';
import { profiles } from './fixtures.ts';
import { registryStoreSuite } from './registry-store.suite.ts';

registryStoreSuite(test, 'sqlite', async ({ clock, key }) => {
  const dir = mkdtempSync(join(tmpdir(), 'tz-registry-'));
  const path = join(dir, 'registry.sqlite');
  const store = new SqliteRegistryStore(path, { profiles, key, clock });
  return {
    store,
    async devicesAtRest() {
      store.db.pragma('wal_checkpoint(TRUNCATE)');
      return Buffer.concat([path, `${path}-wal`].filter(existsSync).map((p) => readFileSync(p)));
    },
    async sealedKeys(id) {
      return store.db.prepare<[string], { lora_keys: Buffer | null }>('SELECT lora_keys FROM devices WHERE id = ?').get(id)?.lora_keys ?? null;
    },
    async putSealedKeys(id, sealed) {
      store.db.prepare('UPDATE devices SET lora_keys = ? WHERE id = ?').run(sealed, id);
    },
    async close() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

test.run();

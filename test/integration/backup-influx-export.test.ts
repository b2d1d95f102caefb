// The fallback for a remote InfluxDB without an RPC address: its database
// exported through InfluxQL as line protocol and written back through /write
// into another server; every point, tag and field type comes back, and the
// manifest says what such a backup does not cover.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadProfiles } from '../../device-profiles/index.ts';
import { plainProgress, runBackup, runRestore, stackBackupSources } from '../../cli/backup/index.ts';
import { createInfluxDatabase, queryInfluxQL } from '../../service-kit/index.ts';
import { startInfluxd, tempDir, writeSimulatedTelemetry, type TestInfluxd } from './helpers.ts';

let a: TestInfluxd;
let b: TestInfluxd;
let dir: { path: string; remove(): void };

test.before(async () => {
  [a, b] = await Promise.all([startInfluxd(), startInfluxd()]);
  dir = tempDir('tz-backup-export-');
});
test.after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  dir?.remove();
});

async function fingerprint(url: string, database: string): Promise<string> {
  const parts: string[] = [];
  for (const s of await queryInfluxQL({ url, database }, 'SHOW FIELD KEYS')) parts.push(`${s.name} fields ${JSON.stringify(s.values)}`);
  for (const s of await queryInfluxQL({ url, database }, 'SELECT COUNT(*) FROM /.*/ GROUP BY "device"')) parts.push(`${s.name} ${JSON.stringify(s.tags)} ${JSON.stringify(s.values)}`);
  for (const s of await queryInfluxQL({ url, database }, 'SELECT * FROM /.*/ ORDER BY time DESC LIMIT 3')) parts.push(`${s.name} ${JSON.stringify(s.columns)} ${JSON.stringify(s.values)}`);
  return parts.sort().join('\n');
}

test('a remote InfluxDB without RPC: exported through InfluxQL, restored into another server point for point; the gaps are stated', async () => {
  await createInfluxDatabase({ url: a.url, database: a.database });
  await writeSimulatedTelemetry({ url: a.url, database: a.database }, { profiles: loadProfiles().all(), devicesPerClass: 3, readingsPerDevice: 40, everyMs: 60_000 });
  const before = await fingerprint(a.url, a.database);
  assert.match(before, /integer/, 'the data has integer fields, whose type must survive');

  const out = join(dir.path, 'backup');
  const lines: string[] = [];
  const manifest = await runBackup(out, stackBackupSources({ varDir: join(dir.path, 'var'), influxUrl: a.url, influxDatabase: a.database }), plainProgress((l) => lines.push(l)));
  const part = manifest.parts.find((p) => p.source === 'influxdb')!;
  assert.ok(part.covered);
  assert.match(part.note ?? '', /NOT covered: other retention policies/);
  assert.ok(Number(part.facts.points) > 0);
  assert.ok(lines.some((l) => /NOT covered/.test(l)), 'the terminal says it too');

  await runRestore(out, stackBackupSources({ varDir: join(dir.path, 'var2'), influxUrl: b.url, influxDatabase: a.database }), plainProgress(() => {}));
  assert.is(await fingerprint(b.url, a.database), before);
});

test.run();

// Registry import benchmark: 100,000 devices from one CSV file through
// importFile (csv-parse, zod field checks, profile/asset/lifecycle checks,
// GCJ-02 conversion, AES-256-GCM sealing of LoRa keys, history rows, one
// transaction), then the same file again (everything unchanged). Peer in the
// same run: a plain better-sqlite3 INSERT loop of the same rows in one
// transaction (the rows already split, no checks) — the floor of writing them.
// Second row: the same import into the PostgreSQL store (a throwaway server
// from testing/, or the empty database named by TZ_BENCH_POSTGRES_URL).
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfiles } from '../../device-profiles/index.ts';
import { markdownTable, type Bench } from '../../service-kit/index.ts';
import { startPostgres } from '../../testing/index.ts';
import { importFile, readSource } from '../import/apply.ts';
import { RegistryKey } from '../lora-keys.ts';
import { PostgresRegistryStore } from '../postgres-store.ts';
import { SqliteRegistryStore } from '../store.ts';

const HEADER = ['id', 'class', 'gatewayId', 'transport', 'host', 'port', 'unit', 'line', 'devEui', 'devAddr', 'nwkSKey', 'appSKey', 'lat', 'lon', 'crs', 'district', 'tags'];
const hex = (n: number, digits: number) => n.toString(16).toUpperCase().padStart(digits, '0');

function row(i: number): string[] {
  const id = `dev-${String(i).padStart(6, '0')}`;
  const gw = `gw-${String(i % 200).padStart(3, '0')}`;
  const lat = (32.9 + (i % 997) * 1e-4).toFixed(6);
  const lon = (114.0 + (i % 991) * 1e-4).toFixed(6);
  const crs = i % 2 === 0 ? 'gcj02' : 'wgs84';
  const district = i % 3 === 0 ? 'yicheng' : i % 3 === 1 ? 'xiping' : 'suiping';
  const tags = i % 5 === 0 ? 'pilot' : '';
  switch (i % 3) {
    case 0: return [id, 'manhole-cover', gw, 'modbus-tcp', `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, '502', String(1 + (i % 200)), '', '', '', '', '', lat, lon, crs, district, tags];
    case 1: return [id, 'public-toilet', gw, 'modbus-rtu', '', '', String(1 + (i % 247)), `rs485-${i % 4}`, '', '', '', '', lat, lon, crs, district, tags];
    default: return [id, 'water-meter', gw, 'lorawan', '', '', '', '', `70B3D57E${hex(i, 8)}`, hex(0x26000000 + i, 8), hex(i, 32), hex(i * 7 + 1, 32), lat, lon, crs, district, tags];
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
/** This process's CPU seconds so far (user + system): steadier than wall time on a shared machine. */
const cpuS = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export const bench: Bench = {
  name: 'registry-import',
  title: 'Registry: bulk import of devices (CSV)',
  async run(ctx) {
    const n = ctx.quick ? 10_000 : 100_000;
    const rows = Array.from({ length: n }, (_, i) => row(i));
    const csv = [HEADER.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
    const dir = mkdtempSync(join(tmpdir(), 'tz-registry-bench-'));
    try {
      const profiles = loadProfiles();
      const store = new SqliteRegistryStore(join(dir, 'registry.sqlite'), { profiles, key: RegistryKey.parse('a5'.repeat(32), 'bench') });
      ctx.progress(`importing ${fmt(n)} devices`);
      // Where the CPU goes: parsing alone (measured apart), then checking, then writing (split at the first write progress).
      let c = cpuS();
      readSource('devices', 'csv', csv);
      const parseCpuS = cpuS() - c;
      let writingFrom = 0;
      c = cpuS();
      let t = performance.now();
      const first = importFile(store, { kind: 'devices', format: 'csv', text: csv, by: 'bench', progress: (phase) => { if (phase === 'writing' && writingFrom === 0) writingFrom = cpuS(); } });
      const importS = (performance.now() - t) / 1000;
      const importCpuS = cpuS() - c;
      const checkedCpuS = writingFrom - c;
      if (first.created !== n) throw new Error(`bench import created ${first.created} of ${n}: ${JSON.stringify(first.problems.slice(0, 3))}`);
      ctx.progress('importing the same file again');
      t = performance.now();
      const again = importFile(store, { kind: 'devices', format: 'csv', text: csv, by: 'bench' });
      const againS = (performance.now() - t) / 1000;
      if (again.unchanged !== n) throw new Error(`re-import changed ${n - again.unchanged} devices`);
      store.close();

      // The same file into PostgreSQL: one transaction, unnest multi-row upserts of 5,000 rows.
      ctx.progress(`PostgreSQL: importing ${fmt(n)} devices`);
      const server = process.env.TZ_BENCH_POSTGRES_URL ? undefined : await startPostgres();
      let pgS = 0;
      let pgCpuS = 0;
      let pgAgainS = 0;
      try {
        const url = process.env.TZ_BENCH_POSTGRES_URL ?? server?.url ?? '';
        const pgStore = await PostgresRegistryStore.open({ url, profiles, key: RegistryKey.parse('a5'.repeat(32), 'bench'), statementTimeoutMs: 600_000 });
        try {
          c = cpuS();
          t = performance.now();
          const pgFirst = await importFile(pgStore, { kind: 'devices', format: 'csv', text: csv, by: 'bench' });
          pgS = (performance.now() - t) / 1000;
          pgCpuS = cpuS() - c;
          if (pgFirst.created !== n) throw new Error(`PostgreSQL bench import created ${pgFirst.created} of ${n} (an empty database is needed)`);
          ctx.progress('PostgreSQL: importing the same file again');
          t = performance.now();
          const pgAgain = await importFile(pgStore, { kind: 'devices', format: 'csv', text: csv, by: 'bench' });
          pgAgainS = (performance.now() - t) / 1000;
          if (pgAgain.unchanged !== n) throw new Error(`PostgreSQL re-import changed ${n - pgAgain.unchanged} devices`);
        } finally {
          await pgStore.close();
        }
      } finally {
        await server?.stop();
      }

      // Peer: the same rows (already split) inserted as they are, one transaction, one prepared statement, same pragmas.
      ctx.progress('peer: plain INSERT loop');
      const db = new Database(join(dir, 'peer.sqlite'));
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.exec(`CREATE TABLE devices (${HEADER.map((h) => `${h === 'id' ? 'id TEXT PRIMARY KEY' : `"${h}" TEXT`}`).join(', ')})`);
      const insert = db.prepare(`INSERT INTO devices VALUES (${HEADER.map(() => '?').join(', ')})`);
      c = cpuS();
      t = performance.now();
      db.transaction(() => {
        for (const r of rows) insert.run(...r);
      })();
      const peerS = (performance.now() - t) / 1000;
      const peerCpuS = cpuS() - c;
      db.close();

      const rate = n / importS;
      const peerRate = n / peerS;
      return [
        `Setup: one CSV file of ${fmt(n)} devices (${(csv.length / 2 ** 20).toFixed(1)} MiB): a third Modbus TCP manhole covers, a third Modbus RTU toilets, a third LoRaWAN ABP water meters with session keys; half the positions GCJ-02. \`importFile\` parses it (csv-parse), checks every field with zod and every record against the profiles and the registry, converts GCJ-02 positions (gcoord), seals LoRa keys (AES-256-GCM), writes devices and lifecycle history in one transaction. The second import of the same file finds every record unchanged (LoRa keys are decrypted and compared) and writes nothing.`,
        '',
        'Peer, same rows, same process: a plain better-sqlite3 INSERT loop of the already-split rows into a table of text columns, one prepared statement, one transaction — no parsing, no checks, no history (the floor of writing the rows).',
        '',
        markdownTable(['measure', 'registry import (SQLite)', 'registry import (PostgreSQL)', 'plain INSERT loop (SQLite)', 'ratio SQLite : peer', 'ratio PostgreSQL : SQLite'], [
          ['rows/s (first import)', fmt(rate), fmt(n / pgS), fmt(peerRate), `${(rate / peerRate).toFixed(3)}× (${(peerRate / rate).toFixed(1)}× slower)`, `${(importS / pgS).toFixed(2)}×`],
          ['seconds for all rows', importS.toFixed(2), pgS.toFixed(2), peerS.toFixed(2), '', ''],
          ['CPU seconds for all rows (this process)', importCpuS.toFixed(2), pgCpuS.toFixed(2), peerCpuS.toFixed(2), `${(peerCpuS / importCpuS).toFixed(3)}× (${(importCpuS / peerCpuS).toFixed(1)}× the CPU)`, ''],
          ['rows/s (same file again, all unchanged)', fmt(n / againS), fmt(n / pgAgainS), '', '', `${(againS / pgAgainS).toFixed(2)}×`],
        ]),
        '',
        `PostgreSQL row: \`PostgresRegistryStore\` on ${process.env.TZ_BENCH_POSTGRES_URL ? 'the server of TZ_BENCH_POSTGRES_URL' : 'a throwaway PostgreSQL 15 on loopback in this machine (fsync on, Debian defaults otherwise)'}: the same checks in this process, then one transaction writing devices and history as \`INSERT … SELECT FROM unnest(column arrays) … ON CONFLICT DO UPDATE\` of 5,000 rows each; the server's CPU is not in this process's column.`,
        '',
        `Where the first import's CPU goes: CSV parsing (csv-parse) ${parseCpuS.toFixed(2)} s, checking (fields, profiles, lifecycle, GCJ-02) ${(checkedCpuS - parseCpuS).toFixed(2)} s, writing (sealing, devices + history rows, eight indexes) ${(importCpuS - checkedCpuS).toFixed(2)} s. Parsing alone is ${(parseCpuS / peerCpuS).toFixed(1)}× the peer's whole CPU time: the peer starts from rows already split.`,
        '',
        'The machine was shared with other jobs during the run (2 cores, several agents): absolute numbers are noisy, compare the ratio.',
      ].join('\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

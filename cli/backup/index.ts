// Backup and restore of one machine's stores (docs/BACKUP.md).
import { join, resolve } from 'node:path';
import { InfluxSource } from './influx-source.ts';
import type { BackupSource } from './source.ts';
import { VarDirSource } from './var-dir-source.ts';
import { PostgresSource } from './postgres-source.ts';

export { runBackup, runRestore } from './run.ts';
export { readManifest, verifyFiles, MANIFEST_FILE, MANIFEST_FORMAT, type Manifest, type ManifestFile } from './manifest.ts';
export { terminalProgress, plainProgress, silentProgress, type BackupProgress } from './progress.ts';
export { VarDirSource, isSqliteFile } from './var-dir-source.ts';
export { PostgresSource } from './postgres-source.ts';
export { InfluxSource, managedRpcAddress, type InfluxLocation } from './influx-source.ts';
export { exportInfluxDatabase, importInfluxDatabase } from './influx-export.ts';
export type { BackupSource, BackupPart } from './source.ts';

export interface StackStores {
  varDir: string;
  /** An InfluxDB the stack does not manage (INFLUX_URL); the managed one under varDir/influxdb when absent. */
  influxUrl?: string;
  /** Its RPC address (host:port) for influxd backup/restore -portable. */
  influxRpc?: string;
  /** Without an RPC address: the database exported through InfluxQL (partial, see influx-export.ts), and its credentials. */
  influxDatabase?: string;
  influxAuth?: { username?: string; password?: string; token?: string };
  /** A folder inside varDir never to copy (the backup itself). */
  exclude?: string;
  /** postgres:// URLs of the stores kept in PostgreSQL (cases, rules, tokens, registry), dumped with pg_dump. */
  postgres?: string[];
}

/** The stores of a stack, in restore order; PostgreSQL only when URLs are configured. */
export function stackBackupSources(stores: StackStores): BackupSource[] {
  const varDir = resolve(stores.varDir);
  return [
    new VarDirSource(varDir, stores.exclude && resolve(stores.exclude)),
    ...(stores.postgres && stores.postgres.length > 0 ? [new PostgresSource(stores.postgres)] : []),
    new InfluxSource(stores.influxUrl
      ? { kind: 'remote', url: stores.influxUrl, ...(stores.influxRpc ? { rpcAddress: stores.influxRpc } : {}), ...(stores.influxDatabase ? { database: stores.influxDatabase } : {}), ...stores.influxAuth }
      : { kind: 'managed', dataDir: join(varDir, 'influxdb') }),
  ];
}

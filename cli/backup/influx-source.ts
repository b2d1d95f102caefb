import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { delay, queryInfluxQL, TzError } from '../../service-kit/index.ts';
import { startManagedInfluxd } from '../../testing/index.ts';
import { exportInfluxDatabase, importInfluxDatabase } from './influx-export.ts';
import type { BackupProgress } from './progress.ts';
import type { BackupPart, BackupSource } from './source.ts';

// InfluxDB 1.x by its own portable backup (`influxd backup -portable`, 1.5+),
// spoken over influxd's RPC port (the top-level bind-address of its config;
// the managed influxd binds it on a free loopback port and the config file
// under var/influxdb/ records it). Shards are snapshotted hot: readings
// written during the backup may or may not be in it; ingest's idempotent
// writes make a later replay harmless.
//
// A remote INFLUX_URL is covered only when its RPC address is given and
// reachable (--influx-rpc host:port, InfluxDB 1.x). Otherwise the manifest
// says plainly that the readings are NOT in the backup: back that server up
// on its own host (`influxd backup -portable` for 1.x, `influx backup` for
// 2.x, the provider's snapshots for a hosted 3.x).

export type InfluxLocation =
  | { kind: 'managed'; dataDir: string; binary?: string }
  | { kind: 'remote'; url: string; rpcAddress?: string; binary?: string; database?: string; username?: string; password?: string; token?: string };

const EXPORT_GAPS = 'exported through InfluxQL: the points of the default retention policy only; NOT covered: other retention policies (downsampled rollups), continuous queries, users, sub-millisecond timestamps';

/** The RPC address a managed influxd's config file names (top-level bind-address), or null. */
export function managedRpcAddress(dataDir: string): string | null {
  const file = join(dataDir, 'influxd.conf');
  if (!existsSync(file)) return null;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim().startsWith('[')) break;
    const match = /^\s*bind-address\s*=\s*"([^"]+)"/.exec(line);
    const address = match?.[1];
    if (address !== undefined) return address;
  }
  return null;
}

function run(binary: string, args: string[], progress: BackupProgress): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let lines = 0;
    const take = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-4000);
      lines += chunk.toString('utf8').split('\n').length - 1;
      progress.update(lines);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (err) => reject(new TzError('TZ_INFLUXD_MISSING', `cannot run ${binary}: ${err.message}`, { cause: err })));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new TzError('TZ_BACKUP_INVALID', `${binary} ${args.join(' ')} exited with ${code}:\n${output.trim()}`))));
  });
}

/** Databases and how many shard bytes each has in a portable backup folder (its *.manifest files). */
export function backedUpDatabases(from: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const name of existsSync(from) ? readdirSync(from) : []) {
    if (!name.endsWith('.manifest')) continue;
    const m = JSON.parse(readFileSync(join(from, name), 'utf8')) as { files?: Array<{ database?: string; size?: number }> };
    for (const f of m.files ?? []) if (f.database) out.set(f.database, (out.get(f.database) ?? 0) + (f.size ?? 0));
  }
  return out;
}

/**
 * `influxd restore -portable` returns once it has sent the shards; influxd
 * imports them after that (1.6 sends no acknowledgement). Wait until every
 * restored database answers with a point count that holds still, so the
 * server is not stopped half-way through an import.
 */
async function untilImported(url: string, databases: Map<string, number>, timeoutMs = 60_000): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const deadline = Date.now() + timeoutMs;
  for (const [database, bytes] of databases) {
    let last = -1;
    for (;;) {
      const series = await queryInfluxQL({ url, database }, 'SELECT COUNT(*) FROM /.*/').catch(() => []);
      let n = 0;
      for (const s of series) for (const row of s.values) for (const [i, column] of s.columns.entries()) if (column.startsWith('count_')) n += Number(row[i] ?? 0);
      if (n === last && (n > 0 || bytes === 0)) break;
      if (Date.now() > deadline) throw new TzError('TZ_BACKUP_INVALID', `InfluxDB database ${database} was restored but its points did not appear within ${timeoutMs} ms (count ${n})`);
      last = n;
      await delay(500);
    }
    counts[database] = last;
  }
  return counts;
}

export class InfluxSource implements BackupSource {
  readonly name = 'influxdb';

  constructor(private readonly where: InfluxLocation) {}

  private get binary(): string {
    return this.where.binary ?? 'influxd';
  }

  private version(): string {
    const out = spawnSync(this.binary, ['version'], { encoding: 'utf8' });
    return out.status === 0 ? out.stdout.trim() : 'unknown';
  }

  private rpcAddress(): string | null {
    return this.where.kind === 'managed' ? managedRpcAddress(this.where.dataDir) : (this.where.rpcAddress ?? null);
  }

  async backup(into: string, progress: BackupProgress): Promise<BackupPart> {
    const rpc = this.rpcAddress();
    if (!rpc && this.where.kind === 'managed') {
      const note = `no managed influxd in ${this.where.dataDir} (nothing to back up; for an InfluxDB of your own give --influx-url, and --influx-rpc for a complete copy)`;
      progress.note(note);
      return { source: this.name, covered: false, note, facts: { dataDir: this.where.dataDir } };
    }
    if (!rpc && this.where.kind === 'remote' && this.where.database) {
      const target = { url: this.where.url, database: this.where.database, username: this.where.username, password: this.where.password, token: this.where.token };
      const file = join(into, `${this.where.database}.lp`);
      const { measurements, points } = await exportInfluxDatabase(target, file, progress);
      const note = `${this.where.url} database ${this.where.database}: ${EXPORT_GAPS}`;
      progress.note(`influxdb: ${points} points of ${measurements} measurements; ${note}`);
      return { source: this.name, covered: true, note, facts: { mode: 'export', database: this.where.database, file: `${this.where.database}.lp`, points } };
    }
    if (!rpc) {
      const url = this.where.kind === 'remote' ? this.where.url : this.where.dataDir;
      const note = `NOT COVERED: the readings in InfluxDB at ${url} are not in this backup (no RPC address: give --influx-rpc host:port for InfluxDB 1.x, or back it up on its own host: influxd backup -portable for 1.x, influx backup for 2.x)`;
      progress.note(note);
      return { source: this.name, covered: false, note, facts: { url } };
    }
    progress.step(`influxdb ${rpc}`, 1);
    await run(this.binary, ['backup', '-portable', '-host', rpc, into], progress).catch((err: unknown) => {
      // The usual cause on one machine: the stack is not running, so neither is its influxd.
      throw new TzError('TZ_BACKUP_INVALID', `InfluxDB backup from ${rpc} failed (is the stack, and so its influxd, running?): ${(err as Error).message}`, { cause: err });
    });
    return { source: this.name, covered: true, facts: { kind: this.where.kind, rpcAddress: rpc, version: this.version() } };
  }

  async restore(from: string, part: BackupPart, progress: BackupProgress): Promise<void> {
    if (!part.covered) {
      progress.note(`influxdb: nothing to restore (${part.note ?? 'not covered by this backup'})`);
      return;
    }
    if (part.facts.mode === 'export') {
      const database = String(part.facts.database);
      const file = join(from, String(part.facts.file));
      if (this.where.kind === 'remote') {
        const n = await importInfluxDatabase({ url: this.where.url, database, username: this.where.username, password: this.where.password, token: this.where.token }, file, progress);
        progress.note(`influxdb: ${n} points written to ${this.where.url} ${database}`);
        return;
      }
      const influxd = await startManagedInfluxd({ dataDir: this.where.dataDir, binary: this.binary });
      try {
        const n = await importInfluxDatabase({ url: influxd.url, database }, file, progress);
        progress.note(`influxdb: ${n} points written to the managed influxd, database ${database}`);
      } finally {
        await influxd.stop();
      }
      return;
    }
    if (this.where.kind === 'remote') {
      if (!this.where.rpcAddress) throw new TzError('TZ_BACKUP_INVALID', `restoring InfluxDB into ${this.where.url} needs its RPC address (--influx-rpc host:port)`);
      progress.step(`influxdb → ${this.where.rpcAddress}`, 1);
      await run(this.binary, ['restore', '-portable', '-host', this.where.rpcAddress, from], progress);
      await untilImported(this.where.url, backedUpDatabases(from));
      return;
    }
    // A managed influxd in the target var folder, just long enough to restore into it; `npm start` later finds the data there.
    const influxd = await startManagedInfluxd({ dataDir: this.where.dataDir, binary: this.binary });
    try {
      const rpc = managedRpcAddress(this.where.dataDir);
      if (!rpc) throw new TzError('TZ_INTERNAL', `the managed influxd in ${this.where.dataDir} wrote no RPC bind-address`);
      progress.step(`influxdb → ${rpc}`, 1);
      await run(this.binary, ['restore', '-portable', '-host', rpc, from], progress);
      const counts = await untilImported(influxd.url, backedUpDatabases(from));
      progress.note(`influxdb: restored ${Object.entries(counts).map(([db, n]) => `${db} (${n} values)`).join(', ') || 'no databases'}`);
    } finally {
      await influxd.stop();
    }
  }

  async targetInUse(): Promise<string[]> {
    if (this.where.kind === 'remote') return [];
    const data = join(this.where.dataDir, 'data');
    return existsSync(data) && readdirSync(data).length > 0 ? [`${data} already holds InfluxDB databases`] : [];
  }
}

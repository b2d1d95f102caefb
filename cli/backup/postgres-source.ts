import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { TzError } from '../../service-kit/index.ts';
import type { BackupProgress } from './progress.ts';
import type { BackupPart, BackupSource } from './source.ts';

// The PostgreSQL databases a stack keeps its records in (cases, rules,
// tokens, registry: whichever are configured with postgres:// URLs), each
// dumped with `pg_dump -Fc` (one consistent snapshot per database: pg_dump
// reads in a single repeatable-read transaction) and brought back with
// `pg_restore --clean --if-exists --single-transaction`, so a failed restore
// leaves the target as it was. Passwords travel in PGPASSWORD, never in argv
// (visible in `ps`) and never in the manifest.

interface Target { host: string; port: string; user: string; password?: string; database: string }

interface DumpFact { database: string; host: string; port: string; file: string; serverVersion: string }

function parseTarget(url: string): Target {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TzError('TZ_BACKUP_INVALID', `not a PostgreSQL URL: give postgres://user[:password]@host[:port]/database`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new TzError('TZ_BACKUP_INVALID', `not a PostgreSQL URL (${u.protocol}): give postgres://user[:password]@host[:port]/database`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database) throw new TzError('TZ_BACKUP_INVALID', `the PostgreSQL URL names no database: give postgres://user@host/database`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port || '5432',
    user: decodeURIComponent(u.username) || 'postgres',
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    database,
  };
}

/** The newest Debian client tools (a pg_dump older than the server refuses), else whatever is on PATH. */
function clientTool(name: 'pg_dump' | 'pg_restore'): string {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (existsSync(join(base, v, 'bin', name))) return join(base, v, 'bin', name);
  }
  return name;
}

function run(tool: 'pg_dump' | 'pg_restore', args: string[], target: Target): Promise<void> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...(target.password ? { PGPASSWORD: target.password } : {}) };
    execFile(clientTool(tool), ['-h', target.host, '-p', target.port, '-U', target.user, ...args], { env, timeout: 30 * 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return reject(new TzError('TZ_BACKUP_INVALID', `${tool} is missing: install the Debian package postgresql-client (apt-get install postgresql-client)`));
      reject(new TzError('TZ_BACKUP_INVALID', `${tool} of database ${target.database} on ${target.host}:${target.port} failed: ${stderr.trim().split('\n').slice(-5).join('; ') || err.message}`));
    });
  });
}

async function withClient<T>(target: Target, database: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: target.host, port: Number(target.port), user: target.user, ...(target.password ? { password: target.password } : {}), database });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function databaseExists(target: Target): Promise<boolean> {
  return withClient(target, 'postgres', async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [target.database])).rowCount === 1);
}

/** Tables outside the system schemas: a database holding any is "in use" for a restore. */
async function userTables(target: Target): Promise<number> {
  if (!(await databaseExists(target))) return 0;
  return withClient(target, target.database, async (c) => {
    const r = await c.query<{ n: string }>("SELECT count(*) AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')");
    return Number(r.rows[0]?.n ?? 0);
  });
}

const dumpFile = (database: string) => `${database.replace(/[^A-Za-z0-9_.-]/g, '_')}.dump`;

export class PostgresSource implements BackupSource {
  readonly name = 'postgres';
  private readonly targets: Target[];

  /** @param urls one postgres:// URL per database (duplicates, e.g. cases and rules in one database, are dumped once). */
  constructor(urls: string[]) {
    const seen = new Set<string>();
    this.targets = [];
    for (const url of urls) {
      const t = parseTarget(url);
      const key = `${t.host}:${t.port}/${t.database}`;
      if (seen.has(key)) continue;
      seen.add(key);
      this.targets.push(t);
    }
  }

  async backup(into: string, progress: BackupProgress): Promise<BackupPart> {
    progress.step(`postgres ${this.targets.map((t) => t.database).join(', ')}`, this.targets.length);
    const dumps: DumpFact[] = [];
    for (const [i, t] of this.targets.entries()) {
      const serverVersion = await withClient(t, t.database, async (c) => String((await c.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? 'unknown'));
      const file = dumpFile(t.database);
      await run('pg_dump', ['-Fc', '-f', join(into, file), t.database], t);
      dumps.push({ database: t.database, host: t.host, port: t.port, file, serverVersion });
      progress.update(i + 1);
    }
    return { source: this.name, covered: true, facts: { dumps } };
  }

  async restore(from: string, part: BackupPart, progress: BackupProgress): Promise<void> {
    const dumps = (part.facts.dumps ?? []) as DumpFact[];
    progress.step(`postgres → ${this.targets.map((t) => t.database).join(', ')}`, this.targets.length);
    for (const [i, t] of this.targets.entries()) {
      // The same database name when there is one; with one dump and one target, the names may differ (a fresh machine's own name).
      const dump = dumps.find((d) => d.database === t.database) ?? (dumps.length === 1 && this.targets.length === 1 ? dumps[0] : undefined);
      if (!dump) throw new TzError('TZ_BACKUP_INVALID', `the backup holds no dump of database ${t.database} (it has ${dumps.map((d) => d.database).join(', ') || 'none'})`);
      if (!(await databaseExists(t))) await withClient(t, 'postgres', (c) => c.query(`CREATE DATABASE "${t.database.replace(/"/g, '""')}"`));
      // Owners and grants of the old machine's roles may not exist here: the restoring user owns everything.
      await run('pg_restore', ['--clean', '--if-exists', '--no-owner', '--no-privileges', '--single-transaction', '-d', t.database, join(from, dump.file)], t);
      progress.update(i + 1);
    }
  }

  async targetInUse(): Promise<string[]> {
    const reasons: string[] = [];
    for (const t of this.targets) {
      const n = await userTables(t);
      if (n > 0) reasons.push(`PostgreSQL database ${t.database} on ${t.host}:${t.port} holds ${n} table(s)`);
    }
    return reasons;
  }
}

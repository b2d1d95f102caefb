import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TzError } from '../../service-kit/index.ts';
import { listFiles, MANIFEST_FORMAT, readManifest, verifyFiles, writeManifest, type Manifest } from './manifest.ts';
import type { BackupProgress } from './progress.ts';
import type { BackupSource } from './source.ts';

// The two drivers: back up every source into its own folder and write the
// manifest last (a backup without a manifest is unfinished); restore checks
// every file against the manifest first and refuses a non-empty target
// unless forced, then hands each source its folder.

function versions(extra: Record<string, string>): Record<string, string> {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  const mem = new Database(':memory:');
  const sqlite = (mem.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  mem.close();
  return { tianzhong: pkg.version ?? 'unknown', node: process.version, sqlite, ...extra };
}

export async function runBackup(out: string, sources: BackupSource[], progress: BackupProgress, now: () => Date = () => new Date()): Promise<Manifest> {
  const dir = resolve(out);
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new TzError('TZ_BACKUP_INVALID', `${dir} is not empty: back up into a new folder`);
  mkdirSync(dir, { recursive: true });
  const createdAt = now().toISOString();
  const parts = [];
  for (const source of sources) {
    const into = join(dir, source.name);
    mkdirSync(into, { recursive: true });
    parts.push(await source.backup(into, progress));
  }
  let started = false;
  const files = await listFiles(dir, (done, total) => {
    if (!started) progress.step('checksums', total);
    started = true;
    progress.update(done);
  });
  const influx = parts.find((p) => p.source === 'influxdb')?.facts.version;
  const manifest: Manifest = { format: MANIFEST_FORMAT, createdAt, versions: versions(typeof influx === 'string' ? { influxd: influx } : {}), parts, files };
  writeManifest(dir, manifest);
  progress.stop();
  for (const p of parts) if (!p.covered) progress.note(`warning: ${p.source}: ${p.note ?? 'not covered'}`);
  return manifest;
}

export async function runRestore(from: string, sources: BackupSource[], progress: BackupProgress, options: { force?: boolean } = {}): Promise<Manifest> {
  const dir = resolve(from);
  const manifest = readManifest(dir);
  progress.step('verify checksums', manifest.files.length);
  const problems = await verifyFiles(dir, manifest, (done) => progress.update(done));
  if (problems.length > 0) {
    progress.stop();
    throw new TzError('TZ_BACKUP_INVALID', `the backup in ${dir} is damaged; nothing was restored:\n  ${problems.slice(0, 20).join('\n  ')}${problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ''}`);
  }
  const inUse = (await Promise.all(sources.map((s) => s.targetInUse()))).flat();
  if (inUse.length > 0 && !options.force) {
    progress.stop();
    throw new TzError('TZ_BACKUP_INVALID', `the restore target is not empty; nothing was restored (use --force to overwrite):\n  ${inUse.join('\n  ')}`);
  }
  for (const source of sources) {
    const part = manifest.parts.find((p) => p.source === source.name);
    if (!part) {
      progress.note(`${source.name}: not in this backup, left as it is`);
      continue;
    }
    await source.restore(join(dir, source.name), part, progress);
  }
  progress.stop();
  return manifest;
}

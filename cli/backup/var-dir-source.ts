import Database from 'better-sqlite3';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { filesUnder } from './manifest.ts';
import type { BackupProgress } from './progress.ts';
import type { BackupPart, BackupSource } from './source.ts';

// The var folder: every SQLite store (access, audit, rules, cases, dead
// letters, the edge agent's gateway database, the device registry, and any
// store added later, found by the file's SQLite header, not by a list of
// names) and every other file (photos, the broker users file).
//
// SQLite files are copied with the online backup API (sqlite3_backup_*), so
// each is a consistent snapshot while services write to it in WAL mode. Two
// stores are not snapshotted at the same instant: a case created between the
// copies of rules.sqlite and cases.sqlite may name an alarm the copy lacks;
// both stores already tolerate that (the case outbox retries, alarms are
// re-raised by the evaluator).

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
/** Left out: the managed influxd (its own source), SQLite side files (the backup API reads through them), logs. */
const SKIP = [/^influxdb(\/|$)/, /-(wal|shm|journal)$/, /\.log$/];

export function isSqliteFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(16);
    return readSync(fd, head, 0, 16, 0) === 16 && head.equals(SQLITE_HEADER);
  } finally {
    closeSync(fd);
  }
}

export class VarDirSource implements BackupSource {
  readonly name = 'var';

  /** @param varDir the stack's var folder; `exclude` a folder inside it not to copy (the backup itself, when written there). */
  constructor(private readonly varDir: string, private readonly exclude?: string) {}

  private files(): string[] {
    if (!existsSync(this.varDir)) return [];
    return filesUnder(this.varDir).filter((p) => !SKIP.some((re) => re.test(p)) && !(this.exclude && join(this.varDir, p).startsWith(`${this.exclude}/`)));
  }

  async backup(into: string, progress: BackupProgress): Promise<BackupPart> {
    const files = this.files();
    progress.step(`var ${this.varDir}`, files.length);
    const sqlite: string[] = [];
    let done = 0;
    for (const path of files) {
      const from = join(this.varDir, path);
      const to = join(into, path);
      mkdirSync(dirname(to), { recursive: true });
      if (isSqliteFile(from)) {
        // Not readonly: a WAL database opened read-only needs its -shm file to exist already.
        const db = new Database(from, { fileMustExist: true });
        try {
          await db.backup(to);
        } finally {
          db.close();
        }
        sqlite.push(path);
      } else {
        copyFileSync(from, to);
      }
      progress.update(++done);
    }
    return { source: this.name, covered: true, facts: { sqlite, otherFiles: files.length - sqlite.length } };
  }

  async restore(from: string, _part: BackupPart, progress: BackupProgress): Promise<void> {
    const files = existsSync(from) ? filesUnder(from) : [];
    progress.step(`var → ${this.varDir}`, files.length);
    let done = 0;
    for (const path of files) {
      const to = join(this.varDir, path);
      mkdirSync(dirname(to), { recursive: true });
      // A stale WAL of an older database next to the restored file would be replayed into it.
      for (const side of ['-wal', '-shm', '-journal']) rmSync(`${to}${side}`, { force: true });
      copyFileSync(join(from, path), to);
      progress.update(++done);
    }
  }

  async targetInUse(): Promise<string[]> {
    const present = this.files();
    return present.length > 0 ? [`${this.varDir} holds ${present.length} file(s), e.g. ${present.slice(0, 3).join(', ')}`] : [];
  }
}

import type { BackupProgress } from './progress.ts';

// One kind of store a backup covers. The var folder (SQLite files by the
// online backup API, photos and other files), InfluxDB (portable backup);
// PostgreSQL joins as one more implementation (pg_dump -Fc into its folder,
// pg_restore back), with no change to the backup or restore drivers.

/** What a source reports about its part; stored in the manifest. */
export interface BackupPart {
  source: string;
  /** False when the source's data is not in this backup (e.g. a remote InfluxDB): `note` says what to do instead. */
  covered: boolean;
  note?: string;
  /** Facts the restore needs (database names, server version). */
  facts: Record<string, unknown>;
}

export interface BackupSource {
  /** Also the name of its folder inside the backup. */
  readonly name: string;
  /** Writes a consistent copy of its data under `into` (the source's own folder, already created). */
  backup(into: string, progress: BackupProgress): Promise<BackupPart>;
  /** Brings the data back from `from` (its own folder); the manifest's checksums were verified before. */
  restore(from: string, part: BackupPart, progress: BackupProgress): Promise<void>;
  /** Human-readable reasons the restore target is not empty (restore refuses unless --force). */
  targetInUse(): Promise<string[]>;
}

import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { z } from 'zod';
import { TzError } from '../../service-kit/index.ts';
import type { BackupPart } from './source.ts';

// manifest.json at the top of a backup: what made it, when, and every file
// with its size and SHA-256, so a restore can prove the copy is whole before
// it touches anything.

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'tianzhong-backup/1';

const FileSchema = z.object({ path: z.string().min(1), bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
const PartSchema = z.object({ source: z.string().min(1), covered: z.boolean(), note: z.string().optional(), facts: z.record(z.string(), z.unknown()) });
const ManifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  createdAt: z.string().datetime(),
  versions: z.record(z.string(), z.string()),
  parts: z.array(PartSchema),
  files: z.array(FileSchema),
});

export type ManifestFile = z.infer<typeof FileSchema>;
export type Manifest = z.infer<typeof ManifestSchema> & { parts: BackupPart[] };

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path).on('error', reject).on('data', (chunk) => hash.update(chunk)).on('end', () => resolve(hash.digest('hex')));
  });
}

/** Every regular file under `dir`, as paths relative to it with forward slashes, sorted. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push(relative(dir, full).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

export async function listFiles(dir: string, onFile?: (done: number, total: number) => void): Promise<ManifestFile[]> {
  const paths = filesUnder(dir).filter((p) => p !== MANIFEST_FILE);
  const files: ManifestFile[] = [];
  for (const path of paths) {
    const full = join(dir, path);
    files.push({ path, bytes: statSync(full).size, sha256: await sha256File(full) });
    onFile?.(files.length, paths.length);
  }
  return files;
}

export function writeManifest(dir: string, manifest: Manifest): void {
  writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

export function readManifest(dir: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8'));
  } catch (err) {
    throw new TzError('TZ_BACKUP_INVALID', `${join(dir, MANIFEST_FILE)} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) throw new TzError('TZ_BACKUP_INVALID', `${join(dir, MANIFEST_FILE)} is not a ${MANIFEST_FORMAT} manifest: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data as Manifest;
}

/** Problems with the backup's files against the manifest (missing, wrong size, wrong checksum); empty when whole. */
export async function verifyFiles(dir: string, manifest: Manifest, onFile?: (done: number, total: number) => void): Promise<string[]> {
  const problems: string[] = [];
  let done = 0;
  for (const f of manifest.files) {
    const full = join(dir, f.path);
    let bytes: number;
    try {
      bytes = statSync(full).size;
    } catch {
      problems.push(`${f.path}: missing`);
      onFile?.(++done, manifest.files.length);
      continue;
    }
    if (bytes !== f.bytes) problems.push(`${f.path}: ${bytes} bytes, the manifest says ${f.bytes}`);
    else if ((await sha256File(full)) !== f.sha256) problems.push(`${f.path}: SHA-256 does not match the manifest`);
    onFile?.(++done, manifest.files.length);
  }
  return problems;
}

import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { TzError } from '../service-kit/index.ts';

// Case photos on disk: <photoDir>/<caseId>/<uuid>.<ext>. The type is decided
// by the file's magic bytes, never by the name or the client's content-type;
// the file is written under a temp name and renamed, so a half-written photo
// is never listed.

const SIGNATURES: ReadonlyArray<{ mime: string; ext: string; test: (b: Buffer) => boolean }> = [
  { mime: 'image/jpeg', ext: 'jpg', test: (b) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { mime: 'image/png', ext: 'png', test: (b) => b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { mime: 'image/webp', ext: 'webp', test: (b) => b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP' },
];

export function sniffImage(bytes: Buffer): { mime: string; ext: string } | null {
  const found = SIGNATURES.find((s) => s.test(bytes));
  return found ? { mime: found.mime, ext: found.ext } : null;
}

export interface StoredPhoto {
  id: string;
  file: string;
  mime: string;
  size: number;
  sha256: string;
}

export class PhotoFolder {
  readonly root: string;

  constructor(root: string, readonly maxBytes: number) {
    this.root = resolve(root);
  }

  async save(caseId: number, bytes: Buffer): Promise<StoredPhoto> {
    if (bytes.length === 0) throw new TzError('TZ_PHOTO_INVALID', 'the photo is empty', { details: { reason: 'empty' } });
    if (bytes.length > this.maxBytes) throw new TzError('TZ_PHOTO_TOO_LARGE', `the photo is larger than ${this.maxBytes} bytes`, { details: { reason: 'too-large' } });
    const type = sniffImage(bytes);
    if (!type) throw new TzError('TZ_PHOTO_INVALID', 'the file is not a JPEG, PNG or WebP image (checked by its content)', { details: { reason: 'type' } });
    const id = randomUUID();
    const dir = join(this.root, String(caseId));
    await mkdir(dir, { recursive: true });
    const file = join(String(caseId), `${id}.${type.ext}`);
    const temp = join(dir, `.${id}.part`);
    await writeFile(temp, bytes, { flag: 'wx' });
    await rename(temp, join(this.root, file));
    return { id, file, mime: type.mime, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  /** Absolute path of a stored photo; refuses anything outside the folder. */
  pathOf(file: string): string {
    const full = resolve(this.root, file);
    if (!full.startsWith(this.root + sep)) throw new TzError('TZ_INTERNAL', `photo path ${file} is outside the photo folder`);
    return full;
  }

  async remove(file: string): Promise<void> {
    await rm(this.pathOf(file), { force: true });
  }
}

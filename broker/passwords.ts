import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

// scrypt parameters (RFC 7914): N=2^14, r=8, p=1 costs ~16 MiB and tens of ms,
// enough to make an offline guess expensive while a CONNECT stays cheap.
const N = 16_384;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

/** A self-describing hash: `scrypt$N$r$p$saltB64$hashB64` (so parameters can grow later). */
export function hashPassword(password: string): string {
  const salt = randomBytes(SALT_BYTES);
  const hash = scryptSync(password, salt, KEY_BYTES, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

interface ParsedHash { n: number; r: number; p: number; salt: Buffer; expected: Buffer }

/** The parts of a `hashPassword` string, or null when malformed or its cost is out of bounds (a crafted file cannot make us burn memory). */
function parseHash(encoded: string): ParsedHash | null {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![n, r, p].every((v) => Number.isInteger(v) && v > 0) || n > 1_048_576 || r > 32 || p > 16) return null;
  const [, , , , saltText = '', hashText = ''] = parts; // an absent part decodes empty and is refused below
  const salt = Buffer.from(saltText, 'base64');
  const expected = Buffer.from(hashText, 'base64');
  if (salt.length === 0 || expected.length === 0) return null;
  return { n, r, p, salt, expected };
}

/** Constant-time check of a password against `hashPassword` output; false for any malformed hash. */
export function verifyPassword(password: string, encoded: string): boolean {
  const h = parseHash(encoded);
  if (!h) return false;
  const actual = scryptSync(password, h.salt, h.expected.length, { N: h.n, r: h.r, p: h.p, maxmem: 256 * h.n * h.r + 1_048_576 });
  return timingSafeEqual(actual, h.expected);
}

/** `verifyPassword` on libuv's thread pool (scrypt is CPU-bound for tens of ms). */
export async function verifyPasswordAsync(password: string, encoded: string): Promise<boolean> {
  const h = parseHash(encoded);
  if (!h) return false;
  const actual = await new Promise<Buffer>((resolve, reject) =>
    scrypt(password, h.salt, h.expected.length, { N: h.n, r: h.r, p: h.p, maxmem: 256 * h.n * h.r + 1_048_576 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
  return timingSafeEqual(actual, h.expected);
}

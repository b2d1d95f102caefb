import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TzError } from '../service-kit/index.ts';
import type { LoraKeys } from './model.ts';

// LoRaWAN session/root keys at rest: AES-256-GCM, a fresh 96-bit nonce per
// record (NIST SP 800-38D §8.2.2: random IVs are fine far below 2^32
// encryptions per key), the device id as additional authenticated data so a
// blob copied onto another device does not decrypt. Stored as
// nonce(12) ‖ tag(16) ‖ ciphertext. The key comes from the environment
// (TZ_REGISTRY_KEY) or a key file; without one the registry refuses LoRa keys.
// Unlike passwords these cannot be hashed: the gateway needs them in clear to
// check MICs and decrypt payloads.

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface RegistryKeySource {
  /** 32 bytes as 64 hex digits or base64 (env TZ_REGISTRY_KEY). */
  key?: string;
  /** A file holding the same (env TZ_REGISTRY_KEY_FILE). */
  keyFile?: string;
}

/** The AES-256 key that seals LoRa keys; `null` when none was configured (LoRa keys are then refused). */
export class RegistryKey {
  private constructor(private readonly key: Buffer) {}

  static parse(text: string, from: string): RegistryKey {
    const trimmed = text.trim();
    const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
    if (bytes.length !== 32) throw new TzError('TZ_CONFIG_INVALID', `the registry key from ${from} must be 32 bytes as 64 hex digits or base64 (make one: openssl rand -hex 32)`);
    return new RegistryKey(bytes);
  }

  /** From explicit options, else TZ_REGISTRY_KEY, else TZ_REGISTRY_KEY_FILE; null when none is set. */
  static load(source: RegistryKeySource = {}, env: NodeJS.ProcessEnv = process.env): RegistryKey | null {
    if (source.key) return RegistryKey.parse(source.key, 'the key option');
    const file = source.keyFile ?? env.TZ_REGISTRY_KEY_FILE;
    if (env.TZ_REGISTRY_KEY && !source.keyFile) return RegistryKey.parse(env.TZ_REGISTRY_KEY, 'TZ_REGISTRY_KEY');
    if (!file) return null;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new TzError('TZ_CONFIG_INVALID', `cannot read the registry key file ${file}: ${(err as Error).message}`);
    }
    return RegistryKey.parse(text, file);
  }

  // Nonces come from a pool filled 4,096 at a time: one call to the system's
  // random source instead of one per device in a bulk import (still random).
  private nonces = Buffer.alloc(0);
  private nonceAt = 0;

  private nextNonce(): Buffer {
    if (this.nonceAt + NONCE_BYTES > this.nonces.length) {
      this.nonces = randomBytes(NONCE_BYTES * 4096);
      this.nonceAt = 0;
    }
    const nonce = this.nonces.subarray(this.nonceAt, this.nonceAt + NONCE_BYTES);
    this.nonceAt += NONCE_BYTES;
    return nonce;
  }

  seal(deviceId: string, keys: LoraKeys): Buffer {
    const nonce = this.nextNonce();
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(deviceId, 'utf8'));
    const body = Buffer.concat([cipher.update(JSON.stringify(keys), 'utf8'), cipher.final()]);
    return Buffer.concat([nonce, cipher.getAuthTag(), body]);
  }

  open(deviceId: string, sealed: Buffer): LoraKeys {
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, NONCE_BYTES));
      decipher.setAAD(Buffer.from(deviceId, 'utf8'));
      decipher.setAuthTag(sealed.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
      const text = Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      return JSON.parse(text) as LoraKeys;
    } catch {
      // Never echo the blob or the key: only which device.
      throw new TzError('TZ_REGISTRY_KEY', `the LoRa keys of device ${deviceId} do not decrypt with this registry key (wrong TZ_REGISTRY_KEY?)`);
    }
  }
}

export function sameLoraKeys(a: LoraKeys, b: LoraKeys): boolean {
  if (a.activation === 'abp' && b.activation === 'abp') return a.nwkSKey === b.nwkSKey && a.appSKey === b.appSKey;
  if (a.activation === 'otaa' && b.activation === 'otaa') return a.appKey === b.appKey;
  return false;
}

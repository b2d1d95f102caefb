// Packed BCD as the Chinese meter standards carry it: least significant byte
// first on the wire (CJ/T 188-2004 §5.3, DL/T 645-2007 §4.1.4), two digits
// per byte, high nibble = tens. DL/T 645 signed values keep the sign in the
// top bit of the most significant byte (Appendix A, e.g. current XXX.XXX).

/** Value of `length` BCD bytes at `offset` (least significant first) with `decimals` implied decimals; null if a nibble is above 9. */
export function readBcd(bytes: Uint8Array, offset: number, length: number, decimals: number, signed = false): number | null {
  let v = 0;
  let negative = false;
  for (let i = length - 1; i >= 0; i--) {
    let b = bytes[offset + i] ?? 0; // past the end reads as 0, as it always has: callers check the frame's length first
    if (signed && i === length - 1) {
      negative = (b & 0x80) !== 0;
      b &= 0x7f;
    }
    const hi = b >> 4;
    const lo = b & 0x0f;
    if (hi > 9 || lo > 9) return null;
    v = v * 100 + hi * 10 + lo;
  }
  const scaled = v / 10 ** decimals;
  return negative ? -scaled : scaled;
}

/** Writes `value` as `length` BCD bytes (least significant first); clamps to what the width can hold. */
export function writeBcd(value: number, length: number, decimals: number, signed = false): Buffer {
  const out = Buffer.alloc(length);
  // Signed: the top bit is the sign, so the top digit goes to 7 only.
  const max = signed ? 8 * 10 ** (length * 2 - 1) - 1 : 10 ** (length * 2) - 1;
  let v = Math.min(max, Math.round(Math.abs(value) * 10 ** decimals));
  for (let i = 0; i < length; i++) {
    const lo = v % 10;
    v = Math.floor(v / 10);
    const hi = v % 10;
    v = Math.floor(v / 10);
    out[i] = (hi << 4) | lo;
  }
  if (signed && value < 0) out.writeUInt8(out.readUInt8(length - 1) | 0x80, length - 1);
  return out;
}

/** A printed meter address ("78330011223344") as it travels: BCD, least significant byte first. */
export function addressBytes(address: string): Buffer {
  const out = Buffer.alloc(address.length / 2);
  for (let i = 0; i < out.length; i++) {
    const pair = address.slice(address.length - 2 * (i + 1), address.length - 2 * i);
    out[i] = Number.parseInt(pair, 16); // hex parse keeps the AA wildcard digits of broadcast addresses
  }
  return out;
}

/** The printed form of an on-wire address. */
export function addressText(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).reverse().join('');
}

/** "XXXXXX.XX" (DL/T 645-2007 Appendix A data format) → bytes and implied decimals. */
export function bcdFormat(format: string): { length: number; decimals: number } {
  const digits = format.replace('.', '').length;
  const dot = format.indexOf('.');
  return { length: Math.ceil(digits / 2), decimals: dot < 0 ? 0 : format.length - dot - 1 };
}

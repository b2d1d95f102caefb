/**
 * Where the fast path renders line protocol: UTF-8 bytes written straight
 * into a slab, one message's lines after the other's, so a message's body is
 * a view of the slab — no parts array, no join, no body string to encode
 * again for the HTTP request. A slab is never written twice: views handed out
 * keep it alive until their writes are done; a new slab is taken when it is
 * full (the message being rendered moves over).
 *
 * The writers below take and return the write position; the caller reserves
 * room first (`reserve`) for the most a reading can need.
 */
const SLAB_BYTES = 1 << 20;

export class LineOutput {
  buf: Buffer = Buffer.allocUnsafeSlow(SLAB_BYTES);
  /** Next byte to write. */
  pos = 0;
  /** Where the message being rendered starts. */
  private start = 0;

  /** Room for `bytes` more bytes of the current message (may move it to a new slab: use marks, not positions, across calls). */
  reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const used = this.pos - this.start;
    const next = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, 2 * (used + bytes)));
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = used;
  }

  /** The current message's length so far: what `rewind` goes back to. */
  mark(): number {
    return this.pos - this.start;
  }

  rewind(mark: number): void {
    this.pos = this.start + mark;
  }

  /** Appends arbitrary text as UTF-8 (the rare reference-path line). */
  text(value: string): void {
    this.reserve(Buffer.byteLength(value, 'utf8'));
    this.pos += this.buf.write(value, this.pos, 'utf8');
  }

  /** The current message's bytes; the next message starts after them. */
  finish(): Buffer {
    const body = this.buf.subarray(this.start, this.pos);
    this.start = this.pos;
    return body;
  }
}

export function writeBytes(buf: Uint8Array, p: number, src: Uint8Array): number {
  const n = src.length;
  // TypedArray#set is a memmove, but its call costs more than a short loop.
  if (n > 32) buf.set(src, p);
  else
    for (let i = 0; i < n; i++) {
      const byte = src[i];
      if (byte === undefined) break; // never: i < src.length
      buf[p + i] = byte;
    }
  return p + n;
}

/** Text known to be ASCII (a number's JavaScript text). */
export function writeAscii(buf: Uint8Array, p: number, text: string): number {
  for (let i = 0; i < text.length; i++) buf[p + i] = text.charCodeAt(i);
  return p + text.length;
}

/** A safe integer in decimal, exactly as `'' + value` writes it (−0 as 0). */
export function writeInteger(buf: Uint8Array, p: number, value: number): number {
  if (value < 0) {
    buf[p++] = 45; // '-'
    value = -value;
  }
  if (value < 1e9) return writeUint31(buf, p, value | 0);
  // Above 10⁹ in two int32 halves (a safe integer is < 2⁵³ ≈ 9·10¹⁵, so the high half is < 10⁹).
  const high = Math.floor(value / 1e9);
  p = writeUint31(buf, p, high | 0);
  let low = (value - high * 1e9) | 0;
  for (let q = p + 8; q >= p; q--) {
    const digit = low % 10;
    buf[q] = 48 + digit;
    low = (low - digit) / 10;
  }
  return p + 9;
}

function writeUint31(buf: Uint8Array, p: number, value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = (rest / 10) | 0) digits += 1;
  for (let q = p + digits - 1; q >= p; q--) {
    const next = (value / 10) | 0;
    buf[q] = 48 + value - next * 10;
    value = next;
  }
  return p + digits;
}

/** Most bytes one field value can take: '' + any double is at most 24 characters ("-2.2250738585072014e-308"), plus a suffix. */
export const MAX_VALUE_BYTES = 32;

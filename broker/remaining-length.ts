// MQTT's Remaining Length (§2.2.3, a Variable Byte Integer §1.5.5) read in
// one go where a read chunk holds it whole: the connection guard's header
// scan and the publish intake both take their fast path on it, and fall back
// to their byte-by-byte paths (which also report the malformed ones) on -1.

/**
 * The Remaining Length starting at `buf[at]`, as `length * 8 + bytes` (bytes
 * 1–4: where the body starts is `at + bytes`), or -1 when `buf` ends before
 * it does or it would need a fifth byte. No allocation: it runs per packet.
 */
export function remainingLengthAt(buf: Uint8Array, at: number): number {
  let length = 0;
  let multiplier = 1;
  for (let n = 0; n < 4 && at + n < buf.length; n += 1) {
    const byte = buf[at + n] ?? 0;
    length += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return length * 8 + n + 1;
    multiplier *= 128;
  }
  return -1;
}

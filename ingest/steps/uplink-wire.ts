// The protobuf wire reads of the fast path: protobufjs' Reader primitives,
// with the common short cases (one-byte varints, varints under 2^49) read
// inline, so numbers and strings come out exactly as the generated decoder's.
import protobuf from 'protobufjs/minimal.js';

const utf8 = protobuf.util.utf8;

export const enum Varint64 {
  Signed = 0,
  Unsigned = 1,
  ZigZag = 2,
}

/**
 * `r.int64()` / `r.uint64()` / `r.sint64()` as numbers (Long is off), without
 * the LongBits object protobufjs makes per call: varints of up to 7 bytes
 * (< 2⁴⁹: every timestamp, seq and counter) are summed inline, exactly; any
 * longer one, or one running past the limit, is left to protobufjs.
 */
export function varint64(r: protobuf.Reader, bytes: Uint8Array, form: Varint64): number {
  const at = r.pos;
  const limit = Math.min(r.len, at + 7);
  let value = 0;
  let scale = 1;
  for (let p = at; p < limit; p++) {
    const byte = bytes[p];
    if (byte === undefined) break; // past the view (r.len never is): protobufjs below reads it, or throws as the generated decoder does
    value += (byte & 127) * scale;
    if (byte < 128) {
      r.pos = p + 1;
      // zigzag: 2k → k, 2k+1 → −(k+1)
      if (form === Varint64.ZigZag) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
      return value;
    }
    scale *= 128;
  }
  const wide = form === Varint64.Signed ? r.int64() : form === Varint64.Unsigned ? r.uint64() : r.sint64();
  return wide as unknown as number;
}

/**
 * Skips a length-delimited field and returns where its bytes start (they end
 * at `r.pos`); r.skip checks the length against the reading's end exactly as
 * r.string() would.
 */
export function skipBytesField(r: protobuf.Reader, bytes: Uint8Array): number {
  const length = varint32(r, bytes);
  const start = r.pos;
  r.skip(length);
  return start;
}

/** `r.uint32()`, with the one-byte case (tags, lengths and indexes under 128: nearly all) read inline. */
export function varint32(r: protobuf.Reader, bytes: Uint8Array): number {
  const at = r.pos;
  const byte = at < r.len ? bytes[at] : undefined;
  if (byte !== undefined && byte < 128) {
    r.pos = at + 1;
    return byte;
  }
  return r.uint32();
}

/**
 * A string field's text exactly as `Reader#string` makes it: protobufjs'
 * UTF-8 decoder on a copy of just the field's bytes (on the whole payload it
 * would read a truncated sequence's missing bytes from the next field).
 */
export function textOf(key: Uint8Array): string {
  return utf8.read(key, 0, key.length);
}

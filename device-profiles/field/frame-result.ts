// What every field-protocol codec (CJ/T 188, DL/T 645, HJ 212) answers: a
// decoded frame, or a rejection with a stable reason code. The reason codes
// become the `reason` label of tz_edge_field_rejects_total, so they are few
// and fixed.

export const FIELD_REJECT_REASONS = [
  'truncated', // the frame ends before its length says it should
  'no-start', // no start character where one must be (68h, ##)
  'bad-end', // end character (16h, CR LF) missing
  'checksum', // sum checksum (CJ/T 188, DL/T 645) does not match
  'crc', // CRC (HJ 212) does not match
  'length', // a length field is impossible for this frame kind
  'too-long', // longer than the configured or spec maximum
  'address', // a reply from another address than the one asked
  'meter-type', // CJ/T 188 meter type T other than the one asked
  'control', // control code / command the codec does not know
  'di', // data identifier other than the one asked, or unknown
  'bcd', // a nibble above 9 in a BCD field
  'unit', // a CJ/T 188 unit code that cannot be converted to the profile's unit
  'version', // HJ 212 Flag announces a version other than 2017 (or 2005)
  'syntax', // a field that cannot be parsed (HJ 212 key=value, QN, DataTime)
  'device-error', // the meter answered with its abnormal-reply control code
] as const;

export type FieldRejectReason = (typeof FIELD_REJECT_REASONS)[number];

export type Decoded<T> = { ok: true; frame: T } | { ok: false; reason: FieldRejectReason; detail: string };

export const reject = (reason: FieldRejectReason, detail: string): { ok: false; reason: FieldRejectReason; detail: string } => ({ ok: false, reason, detail });

/** Splitting a byte stream into frames: one frame, "need more bytes", or bytes to skip (with why). */
export type FrameScan =
  | { kind: 'frame'; start: number; end: number }
  | { kind: 'need-more' }
  | { kind: 'skip'; bytes: number; reason: FieldRejectReason; detail: string };

/** Modulo-256 sum of bytes (CJ/T 188-2004 §5.4, DL/T 645-2007 §4.1.8 "CS"). */
export function sumChecksum(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let s = 0;
  for (const b of bytes.subarray(from, to)) s = (s + b) & 0xff;
  return s;
}

// Field protocols of Chinese city devices: CJ/T 188 (water, heat, gas
// meters), DL/T 645 (electricity meters), HJ 212 (environmental stations).
// Pure codecs shared by the edge agent's drivers and the simulators.
export { FIELD_REJECT_REASONS, sumChecksum, type FieldRejectReason, type Decoded, type FrameScan } from './frame-result.ts';
export { readBcd, writeBcd, addressBytes, addressText, bcdFormat } from './bcd.ts';
export { CJT188, CJT188_METER_TYPES, CJT188_UNITS, cjt188UnitCode, scanCjt188, decodeCjt188, encodeCjt188, cjt188ReadRequest, type Cjt188Frame } from './cjt188.ts';
export { DLT645, DLT645_ERRORS, dlt645ErrorText, scanDlt645, decodeDlt645, encodeDlt645, dlt645ReadRequest, type Dlt645Frame } from './dlt645.ts';
export { HJ212, HJ212_CN, HJ212_FLAGS, hj212Crc, scanHj212, decodeHj212, parseSegment, frameHj212, segmentOf, encodeHj212, hj212DataAck, hj212Time, hj212TimeText, type Hj212Packet } from './hj212.ts';
export { cjt188Values, dlt645Value, hj212Values, type Values, type ValuesResult, type Hj212Values } from './profile-values.ts';
export { fieldProtocolProblems } from './profile-check.ts';

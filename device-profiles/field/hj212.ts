import { reject, type Decoded, type FrameScan } from './frame-result.ts';

// HJ 212-2017 "Data transmission standard for online monitoring systems of
// pollutant" (§6.3): ## + data length (4 decimal digits, bytes of the data
// segment) + data segment + CRC (4 hex digits) + CR LF. The data segment is
// QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;CP=&&…&& (§6.3.2, Table 4); CP holds
// `;`-separated groups of `,`-separated key=value items, e.g.
// DataTime=20160801085857;a34004-Rtd=35.2,a34004-Flag=N. Flag bit 0 (A)
// asks for an answer, bit 1 (D) marks a split packet, bits 2..7 are the
// protocol version (000001 = HJ 212-2017, 000000 = HJ/T 212-2005).

export const HJ212 = {
  /** §6.3.1: the data segment is 0..1024 bytes. */
  maxData: 1024,
  /** ## + 4 digits. */
  headerBytes: 6,
  /** 4 CRC digits + CR LF. */
  trailerBytes: 6,
  flagAck: 0x01,
  flagSplit: 0x02,
  version2005: 0,
  version2017: 1,
} as const;

/** Command numbers (CN) the agent serves, HJ 212-2017 Table 6. */
export const HJ212_CN = { realTime: '2011', minute: '2051', hour: '2061', day: '2031', dataAck: '9014', notice: '9013' } as const;

/** Data flags of a value (HJ 212-2017 §6.6.4, Table 5 "数据标记"): N normal, F stopped, M maintenance, S manual, D fault, C calibration, T over the limit, B communication abnormal. */
export const HJ212_FLAGS: Readonly<Record<string, string>> = { N: 'normal', F: 'stopped', M: 'maintenance', S: 'manual', D: 'fault', C: 'calibration', T: 'over limit', B: 'communication abnormal' };

export interface Hj212Packet {
  qn?: string;
  st: string;
  cn: string;
  pw: string;
  mn: string;
  flag: number;
  /** CP items by key, e.g. "DataTime", "a34004-Rtd", "a34004-Flag". */
  cp: Map<string, string>;
}

/**
 * CRC of HJ 212-2017 Appendix A: register FFFFh; for each byte
 * reg = (reg >> 8) XOR byte, then 8 shifts right XOR A001h when the bit
 * shifted out is 1. (Unlike CRC-16/MODBUS the byte meets the HIGH byte of the
 * register; the appendix's own example, checked in the tests, pins it.)
 */
export function hj212Crc(bytes: Uint8Array): number {
  let reg = 0xffff;
  for (const b of bytes) {
    reg = (reg >> 8) ^ b;
    for (let k = 0; k < 8; k++) {
      const out = reg & 1;
      reg >>= 1;
      if (out) reg ^= 0xa001;
    }
  }
  return reg;
}

const HASH = 0x23;
const CR = 0x0d;
const LF = 0x0a;

/** Finds the next packet in a TCP receive buffer; noise before ## is skipped, over-long packets are skipped whole. */
export function scanHj212(buf: Uint8Array, maxData: number = HJ212.maxData): FrameScan {
  let i = 0;
  while (i + 1 < buf.length && !(buf[i] === HASH && buf[i + 1] === HASH)) i++;
  if (i > 0) return { kind: 'skip', bytes: i, reason: 'no-start', detail: `${i} byte(s) before ##` };
  if (buf.length < HJ212.headerBytes) return { kind: 'need-more' };
  let len = 0;
  for (let k = 2; k < 6; k++) {
    const d = (buf[k] ?? 0) - 0x30; // k < headerBytes <= buf.length: never the ?? 0
    if (d < 0 || d > 9) return { kind: 'skip', bytes: 2, reason: 'syntax', detail: 'data length is not 4 decimal digits' };
    len = len * 10 + d;
  }
  if (len > maxData) return { kind: 'skip', bytes: 2, reason: 'too-long', detail: `data length ${len} is above ${maxData}` };
  const end = HJ212.headerBytes + len + HJ212.trailerBytes;
  return buf.length < end ? { kind: 'need-more' } : { kind: 'frame', start: 0, end };
}

const QN = /^\d{17}$/;
const HEADER_KEYS = new Set(['QN', 'ST', 'CN', 'PW', 'MN', 'Flag', 'PNUM', 'PNO']);

/** Decodes one whole packet (## through CR LF). */
export function decodeHj212(bytes: Uint8Array, maxData: number = HJ212.maxData): Decoded<Hj212Packet> {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (b.length < HJ212.headerBytes + HJ212.trailerBytes) return reject('truncated', `${b.length} bytes, a packet has at least ${HJ212.headerBytes + HJ212.trailerBytes}`);
  if (b[0] !== HASH || b[1] !== HASH) return reject('no-start', 'packet does not start with ##');
  const lenText = b.toString('latin1', 2, 6);
  if (!/^\d{4}$/.test(lenText)) return reject('syntax', `data length "${lenText}" is not 4 decimal digits`);
  const len = Number(lenText);
  if (len > maxData) return reject('too-long', `data length ${len} is above ${maxData}`);
  const total = HJ212.headerBytes + len + HJ212.trailerBytes;
  if (b.length < total) return reject('truncated', `${b.length} bytes, data length ${len} needs ${total}`);
  if (b.length > total) return reject('length', `${b.length - total} byte(s) after the packet, or a wrong data length`);
  if (b[total - 2] !== CR || b[total - 1] !== LF) return reject('bad-end', 'packet does not end with CR LF');
  const segment = b.subarray(HJ212.headerBytes, HJ212.headerBytes + len);
  const crcText = b.toString('latin1', total - 6, total - 2);
  if (!/^[0-9A-Fa-f]{4}$/.test(crcText)) return reject('syntax', `CRC "${crcText}" is not 4 hex digits`);
  const crc = hj212Crc(segment);
  if (crc !== Number.parseInt(crcText, 16)) return reject('crc', `CRC ${crcText}, computed ${crc.toString(16).toUpperCase().padStart(4, '0')}`);
  return parseSegment(segment.toString('latin1'));
}

/** The data segment (between the length and the CRC) → packet. */
export function parseSegment(text: string): Decoded<Hj212Packet> {
  const cpAt = text.indexOf('CP=&&');
  if (cpAt < 0 || !text.endsWith('&&') || text.length < cpAt + 7) return reject('syntax', 'no CP=&&…&& at the end of the data segment');
  const header = new Map<string, string>();
  for (const item of text.slice(0, cpAt).split(';')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = item.slice(0, eq);
    if (eq < 1 || !HEADER_KEYS.has(key)) return reject('syntax', `unexpected header item "${item.slice(0, 32)}"`);
    header.set(key, item.slice(eq + 1));
  }
  const [st, cn, pw, mn] = (['ST', 'CN', 'PW', 'MN'] as const).map((key) => header.get(key));
  if (st === undefined || cn === undefined || pw === undefined || mn === undefined) {
    return reject('syntax', `header item ${(['ST', 'CN', 'PW', 'MN'] as const).find((key) => !header.has(key))} is missing`);
  }
  const qn = header.get('QN');
  if (qn !== undefined && !QN.test(qn)) return reject('syntax', `QN "${qn}" is not yyyyMMddHHmmssZZZ`);
  // HJ/T 212-2005 stations send Flag only when they want an answer: absent = version 0, no answer.
  const flagText = header.get('Flag') ?? '0';
  if (!/^\d{1,3}$/.test(flagText) || Number(flagText) > 255) return reject('syntax', `Flag "${flagText}" is not a byte`);
  const flag = Number(flagText);
  const version = flag >> 2;
  if (version !== HJ212.version2017 && version !== HJ212.version2005) return reject('version', `Flag ${flag} announces protocol version ${version}; this agent speaks HJ 212-2017 (1) and 2005 (0)`);
  if (flag & HJ212.flagSplit) return reject('control', 'split packets (Flag bit D) are not supported');
  const cp = new Map<string, string>();
  const body = text.slice(cpAt + 5, text.length - 2);
  for (const group of body.split(';')) {
    for (const item of group.split(',')) {
      if (item === '') continue;
      const eq = item.indexOf('=');
      if (eq < 1) return reject('syntax', `CP item "${item.slice(0, 32)}" is not key=value`);
      cp.set(item.slice(0, eq), item.slice(eq + 1));
    }
  }
  return { ok: true, frame: { ...(qn === undefined ? {} : { qn }), st, cn, pw, mn, flag, cp } };
}

/** Frames a data segment: ##, length, segment, CRC, CR LF. */
export function frameHj212(segment: string): Buffer {
  const body = Buffer.from(segment, 'latin1');
  const crc = hj212Crc(body).toString(16).toUpperCase().padStart(4, '0');
  return Buffer.concat([Buffer.from(`##${String(body.length).padStart(4, '0')}`, 'latin1'), body, Buffer.from(`${crc}\r\n`, 'latin1')]);
}

/** A packet's data segment in the standard's field order. */
export function segmentOf(p: Hj212Packet): string {
  const groups = new Map<string, string[]>();
  // Items of one pollutant share a group (a34004-Rtd=…,a34004-Flag=N), as in the standard's examples.
  for (const [k, v] of p.cp) {
    const g = k.includes('-') ? k.slice(0, k.indexOf('-')) : k;
    groups.set(g, [...(groups.get(g) ?? []), `${k}=${v}`]);
  }
  const cp = [...groups.values()].map((items) => items.join(',')).join(';');
  return `${p.qn === undefined ? '' : `QN=${p.qn};`}ST=${p.st};CN=${p.cn};PW=${p.pw};MN=${p.mn};Flag=${p.flag};CP=&&${cp}&&`;
}

export const encodeHj212 = (p: Hj212Packet): Buffer => frameHj212(segmentOf(p));

/** The data answer (CN 9014, ST 91) to a packet whose Flag asked for one (§6.6.3, Table 6). */
export function hj212DataAck(p: Hj212Packet): Buffer {
  return frameHj212(`${p.qn === undefined ? '' : `QN=${p.qn};`}ST=91;CN=${HJ212_CN.dataAck};PW=${p.pw};MN=${p.mn};Flag=${HJ212.version2017 << 2};CP=&&&&`);
}

/** yyyyMMddHHmmss in China Standard Time (UTC+8, what stations send) → epoch ms; null if not a real time. */
export function hj212Time(text: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})?$/.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s, Number(m[7] ?? 0)) - 8 * 3600_000;
  const back = new Date(ms + 8 * 3600_000);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return ms;
}

/** Epoch ms → yyyyMMddHHmmss (+ZZZ when `millis`) in China Standard Time. */
export function hj212TimeText(ms: number, millis = false): string {
  const t = new Date(ms + 8 * 3600_000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${t.getUTCFullYear()}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}${p(t.getUTCHours())}${p(t.getUTCMinutes())}${p(t.getUTCSeconds())}${millis ? p(t.getUTCMilliseconds(), 3) : ''}`;
}

import protobuf from 'protobufjs/minimal.js';
import { ID_PATTERN, parseGatewayTopic, tz, type IDeviceStatus, type IReading } from '../../proto/index.ts';
import type { DeadLetter } from '../dead-letter-store.ts';
import { decodeStep } from './decode.ts';
import type { DeviceProfile } from '../../device-profiles/index.ts';
import { escapeMeasurement, escapeTag, toLine } from './to-lines.ts';
import { validateStep, type AcceptedReading, type RejectedReading, type ValidationContext } from './validate.ts';

/**
 * The hot path of ingest: one UplinkBatch's bytes straight to InfluxDB line
 * protocol, without building a Reading and a MetricValue object per reading
 * and metric (protobufjs' decode of a 500-reading batch makes ~6,000 objects,
 * and garbage collection was most of ingest's CPU).
 *
 * It walks the wire format with protobufjs' Reader (the same primitive reads
 * the generated decoder uses, so numbers and strings come out identical) and
 * accepts a reading only when it is sure: known profile and version, every
 * metric resolvable, of its type, finite, in range, no duplicate, timestamp
 * inside the window. Anything else — and anything unusual, like more metrics
 * than the scratch space holds — takes the reference path on that reading
 * alone: protobufjs decode → validateStep → toLine. So the refusal reasons and
 * details are the reference path's by construction, and a test holds the
 * accepted lines equal to toLine's on valid and mutated batches.
 */
export interface UplinkLines {
  gatewayId: string;
  batchSeq: number;
  sentAtMs: number;
  /** Accepted readings as line protocol, joined by '\n' (one flat string: no per-line objects kept while the write waits). */
  body: string;
  /** Lines in `body`. */
  accepted: number;
  /** All readings in the batch. */
  received: number;
  rejected: RejectedReading[];
  statuses: IDeviceStatus[];
  /** Byte range [start, end) in the payload of the reading behind each accepted line: to dead-letter one InfluxDB refuses later. */
  spans: number[];
  /** The bytes `spans` point into, when not the payload (the reference path re-encodes). */
  source?: Uint8Array;
  /** Tells the sink (the device registry) of the accepted readings; called once the message is kept. */
  register(): void;
}

/** What the device registry learns from one accepted reading (one scratch object, overwritten per reading). */
export interface ReadingFacts {
  deviceId: string;
  profile: DeviceProfile;
  profileVersion: number;
  district: string;
  timestampMs: number;
  seq: number;
  /** The battery metric's value in this reading, or null when it has none. */
  batteryPct: number | null;
}

export interface UplinkLinesSink {
  /** An accepted reading parsed by the fast path; `facts` is reused after the call returns. */
  observe(facts: ReadingFacts): void;
  /** An accepted reading that took the reference path. */
  observeAccepted(accepted: AcceptedReading): void;
}

const enum Kind {
  Number = 0,
  Integer = 1,
  Boolean = 2,
}

/** Per profile, computed once: escaped names and the checks as flat arrays. */
interface ProfilePlan {
  measurement: string;
  /** `escapedKey=` per metric position. */
  keys: string[];
  kinds: Uint8Array;
  min: Float64Array;
  max: Float64Array;
  byName: Map<string, number>;
  /** Duplicate-metric detection without allocating: seen[i] === stamp. */
  seen: Uint32Array;
  stamp: number;
  battery: number;
}

const plans = new WeakMap<DeviceProfile, ProfilePlan>();
const BATTERY_METRIC = /^battery(_pct|_percent)?$/;

function planOf(profile: DeviceProfile): ProfilePlan {
  let plan = plans.get(profile);
  if (plan === undefined) {
    const n = profile.metrics.length;
    plan = {
      measurement: escapeMeasurement(profile.measurement),
      keys: profile.metrics.map((m) => escapeTag(m.name) + '='),
      kinds: Uint8Array.from(profile.metrics, (m) => (m.type === 'boolean' ? Kind.Boolean : m.type === 'integer' ? Kind.Integer : Kind.Number)),
      min: Float64Array.from(profile.metrics, (m) => m.min ?? -Infinity),
      max: Float64Array.from(profile.metrics, (m) => m.max ?? Infinity),
      byName: new Map(profile.metrics.map((m, i) => [m.name, i])),
      seen: new Uint32Array(n),
      stamp: 0,
      battery: profile.metrics.findIndex((m) => BATTERY_METRIC.test(m.name)),
    };
    plans.set(profile, plan);
  }
  return plan;
}

/** Tag prefix per device, rebuilt only when its class, version, district or gateway changes. */
interface DevicePrefix {
  profile: DeviceProfile;
  version: number;
  district: string;
  gateway: string;
  prefix: string;
}

// Bounded: a city has ~10^5 devices; a hostile sender inventing ids cannot grow it forever.
const MAX_PREFIXES = 500_000;
const prefixes = new Map<string, DevicePrefix>();

function prefixFor(deviceId: string, profile: DeviceProfile, plan: ProfilePlan, version: number, district: string, gateway: string): string {
  let entry = prefixes.get(deviceId);
  if (entry === undefined || entry.profile !== profile || entry.version !== version || entry.district !== district || entry.gateway !== gateway) {
    // ID_PATTERN checked once per device here, not once per reading.
    if (!ID_PATTERN.test(deviceId)) return '';
    let prefix = plan.measurement + ',device=' + deviceId;
    if (district !== '') prefix += ',district=' + escapeTag(district);
    prefix += ',gateway=' + gateway + ',profile_version=' + (version || profile.version) + ' ';
    entry = { profile, version, district, gateway, prefix };
    if (prefixes.size >= MAX_PREFIXES) prefixes.clear();
    prefixes.set(deviceId, entry);
  }
  return entry.prefix;
}

// Sensor values repeat (one decimal, a narrow band): the text of a fractional number is cached, since
// V8's shortest-round-trip formatting costs ~150 ns and a Map hit ~50 ns. Bounded; integers need no cache.
const MAX_NUMBER_TEXTS = 65_536;
const numberTexts = new Map<number, string>();
function numberText(value: number): string {
  if (Number.isInteger(value)) return '' + value;
  let text = numberTexts.get(value);
  if (text === undefined) {
    text = '' + value;
    if (numberTexts.size >= MAX_NUMBER_TEXTS) numberTexts.clear();
    numberTexts.set(value, text);
  }
  return text;
}

const parts: string[] = [];

// Where each metric of the reading being parsed sits in the buffer (metrics may come before the profile on the wire).
const MAX_METRICS = 256;
const metricStart = new Int32Array(MAX_METRICS);
const metricEnd = new Int32Array(MAX_METRICS);

/**
 * The registry facts of the message being parsed, column-wise and reused
 * across messages (no object per reading). Handed to the sink only once the
 * whole message parsed: a message refused as malformed registers nothing.
 */
const pending = {
  count: 0,
  deviceId: [] as string[],
  profile: [] as DeviceProfile[],
  version: [] as number[],
  district: [] as string[],
  timestampMs: [] as number[],
  seq: [] as number[],
  battery: [] as Array<number | null>,
};
const facts: ReadingFacts = { deviceId: '', profile: undefined as unknown as DeviceProfile, profileVersion: 0, district: '', timestampMs: 0, seq: 0, batteryPct: null };

function tellSink(sink: UplinkLinesSink, slowAccepted: AcceptedReading[]): void {
  for (let i = 0; i < pending.count; i++) {
    facts.deviceId = pending.deviceId[i]!;
    facts.profile = pending.profile[i]!;
    facts.profileVersion = pending.version[i]!;
    facts.district = pending.district[i]!;
    facts.timestampMs = pending.timestampMs[i]!;
    facts.seq = pending.seq[i]!;
    facts.batteryPct = pending.battery[i]!;
    sink.observe(facts);
  }
  pending.count = 0;
  for (const a of slowAccepted) sink.observeAccepted(a);
}

/**
 * Decodes one UplinkBatch into line protocol. Throws (like the generated
 * decoder) on bytes that are not a valid UplinkBatch; `gatewayTag` is the
 * topic's gateway id, checked by the caller against `gatewayId`, who then
 * calls `register()` to tell the sink of the accepted readings.
 */
export function uplinkToLines(payload: Uint8Array, gatewayTag: string, context: ValidationContext, sink: UplinkLinesSink): UplinkLines {
  // A plain Uint8Array view: protobufjs' BufferReader would clamp a truncated string instead of failing (see proto/codec.ts).
  const r = protobuf.Reader.create(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength));
  const now = context.clock.now();
  const earliest = now - context.window.pastMs;
  const latest = now + context.window.futureMs;
  const out: UplinkLines = { gatewayId: '', batchSeq: 0, sentAtMs: 0, body: '', accepted: 0, received: 0, rejected: [], statuses: [], spans: [], register: () => undefined };
  // Every piece of every line, joined once at the end: one flat string, no rope of concatenations per line.
  parts.length = 0;
  let accepted = 0;
  const slowAccepted: AcceptedReading[] = [];
  pending.count = 0;
  while (r.pos < r.len) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        out.gatewayId = r.string();
        break;
      case 2:
        out.batchSeq = r.uint64() as unknown as number; // Long is off (proto/codec.ts): 64-bit fields are numbers
        break;
      case 3:
        out.sentAtMs = r.int64() as unknown as number;
        break;
      case 4: {
        const length = r.uint32();
        const start = r.pos;
        const end = start + length;
        if (end > r.len) throw RangeError('index out of range');
        out.received += 1;
        const mark = parts.length;
        if (accepted > 0) parts.push('\n');
        if (readingLine(r, end, gatewayTag, context, earliest, latest)) {
          accepted += 1;
          out.spans.push(start, end);
        } else {
          parts.length = mark;
          const line = slowPath(r, start, end, gatewayTag, context, out.rejected, slowAccepted);
          if (line !== null) {
            if (accepted > 0) parts.push('\n');
            parts.push(line);
            accepted += 1;
            out.spans.push(start, end);
          }
        }
        r.pos = end;
        break;
      }
      case 5:
        out.statuses.push(tz.DeviceStatus.decode(r, r.uint32()));
        break;
      default:
        r.skipType(tag & 7);
        break;
    }
  }
  out.accepted = accepted;
  out.body = parts.join('');
  parts.length = 0;
  // The caller may still refuse the message (gateway mismatch): it calls tellSink only when it keeps it.
  out.register = () => tellSink(sink, slowAccepted);
  return out;
}

/** The reference path for one reading: full decode, validateStep, toLine. */
function slowPath(r: protobuf.Reader, start: number, end: number, gatewayTag: string, context: ValidationContext, rejected: RejectedReading[], slowAccepted: AcceptedReading[]): string | null {
  r.pos = start;
  const reading: IReading = tz.Reading.decode(r, end - start);
  const result = validateStep([reading], context);
  for (const x of result.rejected) rejected.push(x);
  const accepted = result.accepted[0];
  if (accepted === undefined) return null;
  slowAccepted.push(accepted);
  return toLine(accepted, gatewayTag);
}

/** The reading behind an accepted line (`position` in `spans`), decoded again: for the rare line InfluxDB refuses. */
export function readingAt(payload: Uint8Array, lines: Pick<UplinkLines, 'spans' | 'source'>, position: number): IReading {
  const bytes = lines.source ?? payload;
  const start = lines.spans[2 * position]!;
  const end = lines.spans[2 * position + 1]!;
  return tz.Reading.decode(new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start));
}

export type UplinkStepResult = { ok: true; lines: UplinkLines } | { ok: false; letter: DeadLetter };

/**
 * Steps 1–3 of the pipeline for one message (decode → validate → toLine),
 * fused: the topic's gateway id must match the batch's (else the whole
 * message is a dead letter, nothing registered), then uplinkToLines. Bytes
 * the fast parser refuses are judged by the reference decoder (decodeStep):
 * a malformed-protobuf letter with its message, or — should the two ever
 * disagree — the reference path for the whole batch.
 */
export function uplinkStep(topic: string, payload: Uint8Array, context: ValidationContext, sink: UplinkLinesSink): UplinkStepResult {
  const parsed = parseGatewayTopic(topic);
  let batchGateway: string;
  try {
    batchGateway = gatewayIdOf(payload);
  } catch {
    return referencePath(topic, payload, context, sink);
  }
  if (!parsed || parsed.kind !== 'batch' || batchGateway !== parsed.gatewayId) return referencePath(topic, payload, context, sink);
  try {
    const lines = uplinkToLines(payload, parsed.gatewayId, context, sink);
    if (lines.gatewayId === parsed.gatewayId) {
      lines.register();
      return { ok: true, lines };
    }
    return referencePath(topic, payload, context, sink);
  } catch {
    return referencePath(topic, payload, context, sink);
  }
}

function referencePath(topic: string, payload: Uint8Array, context: ValidationContext, sink: UplinkLinesSink): UplinkStepResult {
  const decoded = decodeStep(topic, payload);
  if (!decoded.ok) return decoded;
  const { batch, gatewayId } = decoded;
  const lines: string[] = [];
  const spans: number[] = [];
  const { accepted, rejected } = validateStep(batch.readings, context);
  for (const a of accepted) lines.push(toLine(a, gatewayId));
  for (const a of accepted) sink.observeAccepted(a);
  // The readings are re-encoded for `source`, so readingAt works the same on both paths.
  const reencoded = accepted.map((a) => tz.Reading.encode(a.reading).finish());
  let offset = 0;
  const joined = new Uint8Array(reencoded.reduce((n, b) => n + b.length, 0));
  for (const bytes of reencoded) {
    joined.set(bytes, offset);
    spans.push(offset, offset + bytes.length);
    offset += bytes.length;
  }
  return {
    ok: true,
    lines: { gatewayId, batchSeq: Number(batch.batchSeq ?? 0), sentAtMs: Number(batch.sentAtMs ?? 0), body: lines.join('\n'), accepted: lines.length, received: batch.readings.length, rejected, statuses: batch.statuses, spans, source: joined, register: () => undefined },
  };
}

/** The batch's gateway_id (field 1; the last one wins, as in the generated decoder), skipping everything else. */
function gatewayIdOf(payload: Uint8Array): string {
  const r = protobuf.Reader.create(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength));
  let gatewayId = '';
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) gatewayId = r.string();
    else r.skipType(tag & 7);
  }
  return gatewayId;
}

/**
 * One reading's line, or null when the reference path must decide (the
 * reader's position is then anywhere inside the reading; the caller rewinds).
 * Throws on malformed wire data, as the generated decoder would.
 */
function readingLine(r: protobuf.Reader, end: number, gatewayTag: string, context: ValidationContext, earliest: number, latest: number): boolean {
  const outerLen = r.len;
  r.len = end;
  let deviceId = '';
  let profileName = '';
  let version = 0;
  let timestampMs = 0;
  let seq = 0;
  let district = '';
  let metrics = 0;
  let overflow = false;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        deviceId = r.string();
        break;
      case 2:
        profileName = r.string();
        break;
      case 3:
        version = r.uint32();
        break;
      case 4:
        timestampMs = r.int64() as unknown as number;
        break;
      case 5:
        seq = r.uint64() as unknown as number;
        break;
      case 6:
        district = r.string();
        break;
      case 7: {
        const length = r.uint32();
        if (metrics < MAX_METRICS) {
          metricStart[metrics] = r.pos;
          metricEnd[metrics] = r.pos + length;
        } else overflow = true;
        metrics += 1;
        r.skip(length);
        break;
      }
      default:
        r.skipType(tag & 7);
        break;
    }
  }
  if (r.pos !== end) throw RangeError('index out of range');
  r.len = outerLen;
  if (overflow || !Number.isSafeInteger(timestampMs) || timestampMs <= 0 || timestampMs > latest || timestampMs < earliest) return false;
  const profile = context.profiles.get(profileName);
  if (profile === undefined || (version !== 0 && version !== profile.version)) return false;
  const plan = planOf(profile);
  const prefix = prefixFor(deviceId, profile, plan, version, district, gatewayTag);
  if (prefix === '') return false;

  parts.push(prefix);
  let battery: number | null = null;
  const stamp = (plan.stamp = (plan.stamp + 1) >>> 0 || 1);
  for (let m = 0; m < metrics; m++) {
    const mEnd = metricEnd[m]!;
    r.pos = metricStart[m]!;
    r.len = mEnd;
    let name: string | null = null;
    let index = 0;
    let kind = -1; // which value arm the reference path would pick: number, then flag, then integer
    let number = 0;
    let flag = false;
    let integer = 0;
    let hasNumber = false;
    let hasFlag = false;
    while (r.pos < mEnd) {
      const tag = r.uint32();
      switch (tag >>> 3) {
        case 1:
          name = r.string();
          break;
        case 2:
          number = r.double();
          hasNumber = true;
          break;
        case 3:
          flag = r.bool();
          hasFlag = true;
          break;
        case 4:
          integer = r.sint64() as unknown as number;
          kind = Kind.Integer;
          break;
        case 5:
          index = r.uint32();
          break;
        default:
          r.skipType(tag & 7);
          break;
      }
    }
    r.len = outerLen;
    if (r.pos !== mEnd) throw RangeError('index out of range');
    if (hasNumber) kind = Kind.Number;
    else if (hasFlag) kind = Kind.Boolean;
    const position = index !== 0 ? index - 1 : name !== null && name !== '' ? (plan.byName.get(name) ?? -1) : -1;
    if (position < 0 || position >= plan.keys.length || plan.seen[position] === stamp) return false;
    plan.seen[position] = stamp;
    const expected = plan.kinds[position]!;
    if (expected === Kind.Boolean) {
      if (kind !== Kind.Boolean) return false;
      parts.push(plan.keys[position]!, flag ? 't,' : 'f,');
      continue;
    }
    if (kind === Kind.Boolean || kind === -1) return false;
    const value = kind === Kind.Number ? number : integer;
    if (!Number.isFinite(value) || value < plan.min[position]! || value > plan.max[position]!) return false;
    if (expected === Kind.Integer) {
      if (!Number.isSafeInteger(value)) return false;
      parts.push(plan.keys[position]!, '' + value, 'i,');
    } else parts.push(plan.keys[position]!, numberText(value), ',');
    if (position === plan.battery) battery = value;
  }
  const i = pending.count++;
  pending.deviceId[i] = deviceId;
  pending.profile[i] = profile;
  pending.version[i] = version;
  pending.district[i] = district;
  pending.timestampMs[i] = timestampMs;
  pending.seq[i] = seq;
  pending.battery[i] = battery;
  parts.push('seq=', '' + seq, 'i ', '' + timestampMs);
  return true;
}

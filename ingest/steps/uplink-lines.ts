import protobuf from 'protobufjs/minimal.js';
import { ID_PATTERN, parseGatewayTopic, tz, type IDeviceStatus } from '../../proto/index.ts';
import type { DeadLetter } from '../dead-letter-store.ts';
import type { DeviceProfile, ProfileCatalogue } from '../../device-profiles/index.ts';
import { ByteKeyedTable, type ByteKeyed } from './byte-keyed.ts';
import { LineOutput, writeAscii, writeBytes, writeInteger } from './line-output.ts';
import { escapeTag } from './to-lines.ts';
import type { AcceptedReading, RejectedReading, ValidationContext } from './validate.ts';
import { Kind, SEQ_KEY, planProfile, prefixOf, type ProfilePlan } from './uplink-plan.ts';
import { referenceLine, referenceLines } from './uplink-reference.ts';
import { Varint64, skipBytesField, textOf, varint32, varint64 } from './uplink-wire.ts';

export { readingAt } from './uplink-reference.ts';

/**
 * The hot path of ingest: one UplinkBatch's bytes straight to InfluxDB line
 * protocol bytes, without building a Reading and a MetricValue object per
 * reading and metric (protobufjs' decode of a 500-reading batch makes ~6,000
 * objects, and garbage collection was most of ingest's CPU), and without a
 * string per line: lines are written as UTF-8 into a slab (LineOutput) and a
 * message's body is a view of it, sent as is.
 *
 * It walks the wire format with protobufjs' Reader (the same primitive reads
 * the generated decoder uses, so numbers and strings come out identical) and
 * accepts a reading only when it is sure: known profile and version, every
 * metric resolvable, of its type, finite, in range, no duplicate, timestamp
 * inside the window. Anything else — and anything unusual, like more metrics
 * than the scratch space holds — takes the reference path on that reading
 * alone: protobufjs decode → validateStep → toLine. So the refusal reasons and
 * details are the reference path's by construction, and a test holds the
 * accepted lines byte-equal to toLine's on valid and mutated batches.
 */
export interface UplinkLines {
  gatewayId: string;
  batchSeq: number;
  sentAtMs: number;
  /** Accepted readings as UTF-8 line protocol, joined by '\n' (one flat buffer: no per-line objects kept while the write waits). */
  body: Buffer;
  /** Lines in `body`. */
  accepted: number;
  /** All readings in the batch. */
  received: number;
  rejected: RejectedReading[];
  statuses: IDeviceStatus[];
  /** Byte range [start, end) in the payload of the reading behind each accepted line: to dead-letter one InfluxDB refuses later. */
  spans: Uint32Array;
  /** The bytes `spans` point into, when not the payload (the reference path re-encodes). */
  source?: Uint8Array;
}

/**
 * What the device registry learns from the accepted fast-path readings of
 * one message: column-wise, `count` readings in order (no object per
 * reading; the parser reuses it after the call returns).
 */
export interface ReadingFacts {
  count: number;
  deviceId: string[];
  profile: DeviceProfile[];
  /** As sent (0: not sent). */
  profileVersion: number[];
  district: string[];
  timestampMs: number[];
  seq: number[];
  /** The battery metric's value in the reading, or null when it has none. */
  batteryPct: Array<number | null>;
  /** Cloud time the message was parsed, ms (read once per message). */
  receivedMs: number;
  /**
   * The sink's own handle for each reading's device (the registry keeps its
   * record there): what the sink left for that device last time, kept by the
   * parser with its cached device, or undefined. The sink may set it.
   */
  handle: unknown[];
}

export interface UplinkLinesSink {
  /** The accepted readings of one message parsed by the fast path (none when `count` is 0). */
  observe(facts: ReadingFacts, gatewayId: string): void;
  /** An accepted reading that took the reference path. */
  observeAccepted(accepted: AcceptedReading, gatewayId: string): void;
}

export type UplinkStepResult = { ok: true; lines: UplinkLines } | { ok: false; letter: DeadLetter };

/** A profile class name as it came on the wire, resolved once. */
interface ProfileSlot extends ByteKeyed {
  profile: DeviceProfile;
  plan: ProfilePlan;
}

/** A district as it came on the wire: its text (for the registry) and escaped tag. */
interface DistrictSlot extends ByteKeyed {
  text: string;
  /** `,district=<escaped>`, or '' when the reading has no district. */
  tag: string;
}

/** A device id as it came on the wire, with its tag prefix, rebuilt only when its class, version, district or gateway changes. */
interface DeviceSlot extends ByteKeyed {
  id: string;
  profile: DeviceProfile;
  version: number;
  district: DistrictSlot;
  gateway: string;
  /** `measurement,device=…,district=…,gateway=…,profile_version=… ` as UTF-8. */
  prefix: Uint8Array;
  /** The sink's handle for this device (ReadingFacts.handle). */
  handle: unknown;
  /** The registry binding's answer for (this device, `gateway`), valid while the binding's epoch is `boundEpoch` (-1: ask). */
  bound: boolean;
  boundEpoch: number;
}

// Bounded: a city has ~10^5 devices; a hostile sender inventing ids cannot grow them forever.
const MAX_DEVICES = 500_000;
const MAX_DISTRICTS = 10_000;
const MAX_PROFILE_NAMES = 1_024;
const MAX_GATEWAYS = 100_000;
// Sensor values repeat (one decimal, a narrow band): the text of a fractional number is cached, since
// V8's shortest-round-trip formatting costs ~150 ns and a Map hit ~50 ns. Bounded; integers need no text.
const MAX_NUMBER_TEXTS = 65_536;
// Where each metric of the reading being parsed sits in the buffer (metrics may come before the profile on the wire).
const MAX_METRICS = 256;

const NEWLINE = 10;

/**
 * One ingest instance's parser: the caches of the fast path (plans, device
 * prefixes, number texts) and its scratch space live here, bounded, owned by
 * the instance that made it — not in the module.
 */
export class UplinkParser {
  private readonly out = new LineOutput();
  private readonly plans = new WeakMap<DeviceProfile, ProfilePlan>();
  private readonly devices = new ByteKeyedTable<DeviceSlot>(MAX_DEVICES);
  private readonly districts = new ByteKeyedTable<DistrictSlot>(MAX_DISTRICTS);
  private readonly profileNames = new ByteKeyedTable<ProfileSlot>(MAX_PROFILE_NAMES);
  /** The catalogue `profileNames` was resolved against. */
  private catalogue: ProfileCatalogue;
  private readonly noDistrict: DistrictSlot = { key: new Uint8Array(0), next: undefined, text: '', tag: '' };
  /** One string per gateway id, so a device's gateway is compared by identity. */
  private readonly gateways = new Map<string, string>();
  private readonly numberTexts = new Map<number, string>();
  /** Scratch for the spans of the message being parsed (grows; copied out exact-size). */
  private spans = new Uint32Array(2 * 1024);
  private readonly metricStart = new Int32Array(MAX_METRICS);
  private readonly metricEnd = new Int32Array(MAX_METRICS);
  /**
   * The registry facts of the message being parsed, column-wise and reused
   * across messages (no object per reading). Handed to the sink only once the
   * whole message parsed and its gateway checked: a refused message registers nothing.
   */
  private readonly facts: ReadingFacts = { count: 0, deviceId: [], profile: [], profileVersion: [], district: [], timestampMs: [], seq: [], batteryPct: [], receivedMs: 0, handle: [] };
  /** The cached device behind each of `facts`' readings, to keep the handle the sink leaves. */
  private readonly factDevices: DeviceSlot[] = [];
  private readonly slowAccepted: AcceptedReading[] = [];

  constructor(
    private readonly context: ValidationContext,
    private readonly sink: UplinkLinesSink,
  ) {
    this.catalogue = context.profiles;
  }

  /**
   * Steps 1–3 of the pipeline for one message (decode → validate → toLine),
   * fused: the topic's gateway id must match the batch's (else the whole
   * message is a dead letter, nothing registered), then the fast parse. Bytes
   * the fast parser refuses are judged by the reference decoder (decodeStep):
   * a malformed-protobuf letter with its message, or — should the two ever
   * disagree — the reference path for the whole batch.
   */
  step(topic: string, payload: Uint8Array): UplinkStepResult {
    const parsed = parseGatewayTopic(topic);
    if (!parsed || parsed.kind !== 'batch') return referenceLines(topic, payload, this.context, this.sink);
    let gateway = this.gateways.get(parsed.gatewayId);
    if (gateway === undefined) {
      if (this.gateways.size >= MAX_GATEWAYS) this.gateways.clear();
      this.gateways.set(parsed.gatewayId, (gateway = parsed.gatewayId));
    }
    try {
      const lines = this.parse(payload, gateway);
      // Checked once the whole batch is read (its gateway_id may come anywhere; the last one wins, as in the generated
      // decoder): until here nothing left the parser, so a mismatch keeps no line and registers no device.
      if (lines.gatewayId === gateway) {
        lines.body = this.out.finish();
        this.tellSink(gateway);
        return { ok: true, lines };
      }
    } catch {
      // malformed: the reference decoder says how
    }
    return referenceLines(topic, payload, this.context, this.sink);
  }

  /** Decodes one UplinkBatch into line protocol (left in `out` until `finish`). Throws, like the generated decoder, on bytes that are not a valid UplinkBatch. */
  private parse(payload: Uint8Array, gateway: string): UplinkLines {
    // A plain Uint8Array view: protobufjs' BufferReader would clamp a truncated string instead of failing (see proto/codec.ts).
    const r = protobuf.Reader.create(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength));
    if (this.context.profiles !== this.catalogue) {
      this.catalogue = this.context.profiles;
      this.profileNames.clear();
    }
    const now = this.context.clock.now();
    const earliest = now - this.context.window.pastMs;
    const latest = now + this.context.window.futureMs;
    this.facts.receivedMs = now;
    const out = this.out;
    out.rewind(0); // whatever a message that threw left behind
    this.facts.count = 0;
    this.slowAccepted.length = 0;
    const lines: UplinkLines = { gatewayId: '', batchSeq: 0, sentAtMs: 0, body: EMPTY, accepted: 0, received: 0, rejected: [], statuses: [], spans: NO_SPANS };
    let accepted = 0;
    while (r.pos < r.len) {
      const tag = r.uint32();
      switch (tag >>> 3) {
        case 1:
          lines.gatewayId = r.string();
          break;
        case 2:
          lines.batchSeq = r.uint64() as unknown as number; // Long is off (proto/codec.ts): 64-bit fields are numbers
          break;
        case 3:
          lines.sentAtMs = r.int64() as unknown as number;
          break;
        case 4: {
          const length = r.uint32();
          const start = r.pos;
          const end = start + length;
          if (end > r.len) throw RangeError('index out of range');
          lines.received += 1;
          const mark = out.mark();
          if (this.readingLine(r, end, gateway, earliest, latest, accepted === 0)) {
            this.span(accepted, start, end);
            accepted += 1;
          } else {
            out.rewind(mark);
            const line = this.slowPath(r, start, end, gateway, lines.rejected);
            if (line !== null) {
              out.text(accepted > 0 ? '\n' + line : line);
              this.span(accepted, start, end);
              accepted += 1;
            }
          }
          r.pos = end;
          break;
        }
        case 5:
          lines.statuses.push(tz.DeviceStatus.decode(r, r.uint32()));
          break;
        default:
          r.skipType(tag & 7);
          break;
      }
    }
    lines.accepted = accepted;
    // An exact-size typed array: off the JavaScript heap, so messages waiting on a write are not copied by every scavenge.
    lines.spans = this.spans.slice(0, 2 * accepted);
    return lines;
  }

  /** Records the payload range of the reading behind accepted line `line`. */
  private span(line: number, start: number, end: number): void {
    if (2 * line + 2 > this.spans.length) {
      const grown = new Uint32Array(2 * this.spans.length);
      grown.set(this.spans);
      this.spans = grown;
    }
    this.spans[2 * line] = start;
    this.spans[2 * line + 1] = end;
  }

  private tellSink(gateway: string): void {
    const { facts, factDevices, sink } = this;
    if (facts.count > 0) {
      sink.observe(facts, gateway);
      for (let i = 0; i < facts.count; i++) {
        // readingLine fills factDevices[i] with facts' row i, so a device is always there; the handle is only a cache.
        const device = factDevices[i];
        if (device !== undefined) device.handle = facts.handle[i];
        facts.handle[i] = undefined; // no handle outlives its device's cache entry here
      }
    }
    facts.count = 0;
    for (const a of this.slowAccepted) sink.observeAccepted(a, gateway);
    this.slowAccepted.length = 0;
  }

  /** The reference path for one reading (uplink-reference.ts); an accepted one is told to the sink after the batch. */
  private slowPath(r: protobuf.Reader, start: number, end: number, gateway: string, rejected: RejectedReading[]): string | null {
    return referenceLine(r, start, end, gateway, this.context, rejected, this.slowAccepted);
  }

  /**
   * One reading's line written to `out`, or false when the reference path
   * must decide (the reader's position is then anywhere inside the reading,
   * `out` anywhere after the mark; the caller rewinds both).
   * Throws on malformed wire data, as the generated decoder would.
   */
  private readingLine(r: protobuf.Reader, end: number, gateway: string, earliest: number, latest: number, first: boolean): boolean {
    const bytes = r.buf;
    const outerLen = r.len;
    r.len = end;
    // String fields are kept as byte ranges: looked up by their bytes, decoded only when new.
    let idStart = 0;
    let idEnd = 0;
    let profileStart = 0;
    let profileEnd = 0;
    let districtStart = 0;
    let districtEnd = 0;
    let version = 0;
    let timestampMs = 0;
    let seq = 0;
    let metrics = 0;
    let overflow = false;
    const { metricStart, metricEnd } = this;
    while (r.pos < end) {
      const tag = varint32(r, bytes);
      switch (tag >>> 3) {
        case 1:
          idStart = skipBytesField(r, bytes);
          idEnd = r.pos;
          break;
        case 2:
          profileStart = skipBytesField(r, bytes);
          profileEnd = r.pos;
          break;
        case 3:
          version = varint32(r, bytes);
          break;
        case 4:
          timestampMs = varint64(r, bytes, Varint64.Signed);
          break;
        case 5:
          seq = varint64(r, bytes, Varint64.Unsigned);
          break;
        case 6:
          districtStart = skipBytesField(r, bytes);
          districtEnd = r.pos;
          break;
        case 7: {
          const length = varint32(r, bytes);
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
    const profileSlot = this.profileAt(bytes, profileStart, profileEnd);
    if (profileSlot === undefined) return false;
    const { profile, plan } = profileSlot;
    if (version !== 0 && version !== profile.version) return false;
    const district = districtEnd > districtStart ? this.districtAt(bytes, districtStart, districtEnd) : this.noDistrict;
    const device = this.deviceAt(bytes, idStart, idEnd, profile, plan, version, district, gateway);
    if (device === undefined) return false;
    // Step 2b (bind.ts), once per device and binding change: a refused device takes the reference path, which says why.
    const binding = this.context.binding;
    if (binding !== undefined) {
      if (device.boundEpoch !== binding.epoch) {
        device.bound = binding.check(device.id, gateway) === null;
        device.boundEpoch = binding.epoch;
      }
      if (!device.bound) return false;
    }

    const out = this.out;
    out.reserve(1 + device.prefix.length + plan.maxFieldBytes);
    const buf = out.buf;
    let p = out.pos;
    if (!first) buf[p++] = NEWLINE;
    p = writeBytes(buf, p, device.prefix);
    let battery: number | null = null;
    const stamp = (plan.stamp = (plan.stamp + 1) >>> 0 || 1);
    for (let m = 0; m < metrics; m++) {
      const mStart = metricStart[m];
      const mEnd = metricEnd[m];
      if (mStart === undefined || mEnd === undefined) return false; // never: overflow (more than MAX_METRICS) returned above
      r.pos = mStart;
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
        const tag = varint32(r, bytes);
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
            integer = varint64(r, bytes, Varint64.ZigZag);
            kind = Kind.Integer;
            break;
          case 5:
            index = varint32(r, bytes);
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
      const field = position >= 0 ? plan.metrics[position] : undefined; // undefined: a position the profile lacks
      if (field === undefined || plan.seen[position] === stamp) return false;
      plan.seen[position] = stamp;
      const expected = field.kind;
      if (expected === Kind.Boolean) {
        if (kind !== Kind.Boolean) return false;
        p = writeBytes(buf, p, flag ? field.trueField : field.falseField);
        continue;
      }
      if (kind === Kind.Boolean || kind === -1) return false;
      const value = kind === Kind.Number ? number : integer;
      if (!Number.isFinite(value) || value < field.min || value > field.max) return false;
      if (expected === Kind.Integer) {
        if (!Number.isSafeInteger(value)) return false;
        p = writeBytes(buf, p, field.key);
        p = writeInteger(buf, p, value);
        buf[p++] = 105; // 'i'
      } else {
        p = writeBytes(buf, p, field.key);
        p = Number.isSafeInteger(value) ? writeInteger(buf, p, value) : writeAscii(buf, p, this.numberText(value));
      }
      buf[p++] = 44; // ','
      if (position === plan.battery) battery = value;
    }
    p = writeBytes(buf, p, SEQ_KEY);
    p = Number.isSafeInteger(seq) ? writeInteger(buf, p, seq) : writeAscii(buf, p, '' + seq);
    buf[p++] = 105; // 'i'
    buf[p++] = 32; // ' '
    p = writeInteger(buf, p, timestampMs);
    out.pos = p;

    const facts = this.facts;
    const i = facts.count++;
    facts.deviceId[i] = device.id;
    facts.profile[i] = profile;
    facts.profileVersion[i] = version;
    facts.district[i] = district.text;
    facts.timestampMs[i] = timestampMs;
    facts.seq[i] = seq;
    facts.batteryPct[i] = battery;
    facts.handle[i] = device.handle;
    this.factDevices[i] = device;
    return true;
  }

  /** The profile named by these bytes, with its plan; undefined when the catalogue has none. */
  private profileAt(bytes: Uint8Array, start: number, end: number): ProfileSlot | undefined {
    const table = this.profileNames;
    const hash = table.hash(bytes, start, end);
    let slot = table.get(hash, bytes, start, end);
    if (slot === undefined) {
      const key = bytes.slice(start, end);
      const profile = this.catalogue.get(textOf(key));
      if (profile === undefined) return undefined;
      slot = { key, next: undefined, profile, plan: this.planOf(profile) };
      table.add(hash, slot);
    }
    return slot;
  }

  private districtAt(bytes: Uint8Array, start: number, end: number): DistrictSlot {
    const table = this.districts;
    const hash = table.hash(bytes, start, end);
    let slot = table.get(hash, bytes, start, end);
    if (slot === undefined) {
      const key = bytes.slice(start, end);
      const text = textOf(key);
      slot = { key, next: undefined, text, tag: ',district=' + escapeTag(text) };
      table.add(hash, slot);
    }
    return slot;
  }

  /** The device named by these bytes with its prefix up to date; undefined when the id is not a valid one. */
  private deviceAt(bytes: Uint8Array, start: number, end: number, profile: DeviceProfile, plan: ProfilePlan, version: number, district: DistrictSlot, gateway: string): DeviceSlot | undefined {
    const table = this.devices;
    const hash = table.hash(bytes, start, end);
    let slot = table.get(hash, bytes, start, end);
    if (slot === undefined) {
      const key = bytes.slice(start, end);
      const id = textOf(key);
      // ID_PATTERN checked once per device here, not once per reading.
      if (!ID_PATTERN.test(id)) return undefined;
      slot = { key, next: undefined, id, profile, version, district, gateway, prefix: prefixOf(id, profile, plan, version, district.tag, gateway), handle: undefined, bound: false, boundEpoch: -1 };
      table.add(hash, slot);
    } else if (slot.profile !== profile || slot.version !== version || slot.district !== district || slot.gateway !== gateway) {
      slot.profile = profile;
      slot.version = version;
      slot.district = district;
      slot.gateway = gateway;
      slot.prefix = prefixOf(slot.id, profile, plan, version, district.tag, gateway);
      slot.boundEpoch = -1;
    }
    return slot;
  }

  private planOf(profile: DeviceProfile): ProfilePlan {
    let plan = this.plans.get(profile);
    if (plan === undefined) {
      plan = planProfile(profile);
      this.plans.set(profile, plan);
    }
    return plan;
  }

  private numberText(value: number): string {
    let text = this.numberTexts.get(value);
    if (text === undefined) {
      text = '' + value;
      if (this.numberTexts.size >= MAX_NUMBER_TEXTS) this.numberTexts.clear();
      this.numberTexts.set(value, text);
    }
    return text;
  }
}

const EMPTY = Buffer.alloc(0);
const NO_SPANS = new Uint32Array(0);

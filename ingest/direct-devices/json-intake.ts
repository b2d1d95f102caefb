import type { DeviceProfile, JsonCodec } from '../../device-profiles/index.ts';
import { metricsByName } from '../../device-profiles/index.ts';
import type { IMetricValue, IReading } from '../../proto/index.ts';
import type { DirectLedger } from './direct-ledger.ts';
import type { RejectReason } from '../reject-reasons.ts';

/** A device that connects by itself, as the device gateway knows it. */
export interface DirectDevice {
  deviceId: string;
  /** Device class id of a profile with a `json` codec. */
  profile: string;
  district: string;
}

/** Why a message was refused (metric label and dead-letter reason). */
export type JsonRefusal = Extract<RejectReason, 'oversized' | 'bad-json' | 'unknown-device' | 'codec-error' | 'flood'>;

export type JsonOutcome =
  | { ok: true; reading: IReading; repeat: boolean }
  | { ok: false; reason: JsonRefusal; detail: string };

export interface JsonIntakeDeps {
  devices: ReadonlyMap<string, { device: DirectDevice; profile: DeviceProfile; codec: JsonCodec }>;
  ledger: DirectLedger;
  maxPayloadBytes: number;
  maxMessagesPerDevicePerMinute: number;
  now: () => number;
}

/**
 * One JSON message of one device → one Reading, as named steps: size → device
 * → rate → parse → decode (sandboxed codec) → stamp (seq and time, repeats get
 * their first stamp back) → reading. Values the profile does not know are
 * dropped by name; range checks are ingest's, downstream, as for every reading.
 */
export class JsonIntake {
  private readonly rate = new Map<string, { minute: number; messages: number }>();

  constructor(private readonly deps: JsonIntakeDeps) {}

  take(deviceId: string, raw: Buffer, topic: string): JsonOutcome {
    const { deps } = this;
    if (raw.length > deps.maxPayloadBytes) return { ok: false, reason: 'oversized', detail: `${raw.length} bytes, at most ${deps.maxPayloadBytes}` };
    const known = deps.devices.get(deviceId);
    if (!known) return { ok: false, reason: 'unknown-device', detail: `device ${deviceId} is not a configured direct device` };
    if (this.flooding(deviceId)) return { ok: false, reason: 'flood', detail: `more than ${deps.maxMessagesPerDevicePerMinute} messages this minute` };
    let payload: unknown;
    try {
      payload = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      return { ok: false, reason: 'bad-json', detail: (err as Error).message };
    }
    const now = deps.now();
    const decoded = known.codec.decodeJson({ payload, topic, recvTime: new Date(now).toISOString() });
    if (decoded.errors.length > 0) return { ok: false, reason: 'codec-error', detail: decoded.errors.join('; ') };
    const specs = metricsByName(known.profile);
    const metrics: IMetricValue[] = [];
    for (const [name, value] of Object.entries(decoded.data)) {
      const spec = specs.get(name);
      if (!spec) continue;
      if (spec.type === 'boolean') metrics.push({ name, flag: typeof value === 'boolean' ? value : value !== 0 });
      else if (spec.type === 'integer') metrics.push({ name, integer: Math.round(Number(value)) });
      else metrics.push({ name, number: Number(value) });
    }
    if (metrics.length === 0) return { ok: false, reason: 'codec-error', detail: `no value of any metric of profile ${known.profile.class}` };
    const stamp = deps.ledger.stamp(deviceId, raw, decoded.messageId, decoded.timeMs, now);
    return {
      ok: true,
      repeat: stamp.repeat,
      reading: { deviceId, profile: known.profile.class, profileVersion: known.profile.version, timestampMs: stamp.atMs, seq: stamp.seq, district: known.device.district, metrics },
    };
  }

  private flooding(deviceId: string): boolean {
    const minute = Math.floor(this.deps.now() / 60_000);
    const r = this.rate.get(deviceId);
    if (!r || r.minute !== minute) {
      this.rate.set(deviceId, { minute, messages: 1 });
      return false;
    }
    return ++r.messages > this.deps.maxMessagesPerDevicePerMinute;
  }
}

import { TzError } from '../service-kit/index.ts';
import { LoraCodec, readCodecSource, type CodecLimits } from './lora-codec.ts';
import type { DeviceProfile } from './schema.ts';

// JSON codecs for devices that connect by themselves: a profile's
// `decodeJson({payload, topic})` turns whatever JSON the vendor's firmware
// sends into metric values. It runs in the same QuickJS sandbox, with the same
// time and memory limits, as the LoRa codecs (lora-codec.ts): the file is code
// someone wrote, the payload is data a device sent.

export interface JsonUplinkInput {
  /** The parsed JSON the device sent. */
  payload: unknown;
  /** MQTT topic, or `http:/api/v1/direct/{deviceId}` for an HTTP POST. */
  topic: string;
  /** ISO 8601 time the cloud received it. */
  recvTime: string;
}

export interface JsonDecodeResult {
  data: Record<string, number | boolean>;
  errors: string[];
  warnings: string[];
  /** Device-side time of the reading (ms since the epoch), when the device sent one. */
  timeMs: number | undefined;
  /** The device's own message id, when it sent one: a retransmission carries the same. */
  messageId: string | undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);

/** One profile's JSON codec. Calls never throw: failures come back in `errors`. */
export class JsonCodec {
  private constructor(private readonly sandbox: LoraCodec) {}

  static async load(source: string, name: string, limits: Partial<CodecLimits> = {}): Promise<JsonCodec> {
    return new JsonCodec(await LoraCodec.load(source, name, limits, 'decodeJson'));
  }

  get name(): string {
    return this.sandbox.name;
  }

  /** Calls that hit the time or memory limit. */
  get limitHits(): number {
    return this.sandbox.limitHits;
  }

  decodeJson(input: JsonUplinkInput): JsonDecodeResult {
    const out = this.sandbox.invokeEntry(input);
    const none = { data: {}, warnings: [], timeMs: undefined, messageId: undefined };
    if ('failure' in out) return { ...none, errors: [out.failure] };
    const r = out.value;
    if (!isRecord(r)) return { ...none, errors: ['decodeJson must return an object {data, errors, warnings, time?, messageId?}'] };
    const errors = strings(r.errors);
    const warnings = strings(r.warnings);
    const data: Record<string, number | boolean> = {};
    if (r.data !== undefined && !isRecord(r.data)) errors.push('data must be an object of metric values');
    else if (r.data) {
      for (const [k, v] of Object.entries(r.data)) {
        if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') data[k] = v;
        else warnings.push(`data.${k}: ignored (not a finite number or boolean)`);
      }
    }
    let timeMs: number | undefined;
    if (r.time !== undefined && r.time !== null) {
      timeMs = typeof r.time === 'number' ? r.time : typeof r.time === 'string' ? Date.parse(r.time) : NaN;
      if (!Number.isFinite(timeMs)) {
        errors.push(`time ${JSON.stringify(r.time)} is neither ms since the epoch nor an ISO 8601 date`);
        timeMs = undefined;
      }
    }
    const messageId = typeof r.messageId === 'string' || typeof r.messageId === 'number' ? String(r.messageId).slice(0, 128) : undefined;
    return { data, errors, warnings, timeMs, messageId };
  }

  dispose(): void {
    this.sandbox.dispose();
  }
}

/** Loads the JSON codec a profile names (`json.codec`, relative to the profile folder). */
export async function loadProfileJsonCodec(profile: DeviceProfile, profileDir: string, limits: Partial<CodecLimits> = {}): Promise<JsonCodec> {
  if (!profile.json) throw new TzError('TZ_CODEC_INVALID', `profile ${profile.class} has no json codec`);
  return JsonCodec.load(readCodecSource(profile, profileDir, profile.json.codec), `${profile.class}:${profile.json.codec}`, limits);
}

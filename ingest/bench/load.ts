// The benchmark load: G simulated gateways, each with one reading per device
// per batch (the edge agent's default batch of 500), every metric of the
// device's profile in the compact index form, values inside the profile's range.
import { encodeUplinkBatch, type IReading } from '../../proto/index.ts';
import type { DeviceProfile } from '../../device-profiles/index.ts';
import { TzError } from '../../service-kit/index.ts';

export interface LoadShape {
  gateways: number;
  batchesPerGateway: number;
  readingsPerBatch: number;
}

export const BASE_TIME = Math.floor((Date.now() - 2 * 86_400_000) / 60_000) * 60_000;

export function gatewayId(g: number): string {
  return `gw-bench-${String(g).padStart(3, '0')}`;
}

export function reading(profiles: DeviceProfile[], g: number, b: number, i: number): IReading {
  const profile = profiles[i % profiles.length];
  if (!profile) throw new TzError('TZ_PROFILE_UNKNOWN', 'ingest bench load: no device profiles loaded');
  return {
    deviceId: `d${g}-${i}`, profile: profile.class, profileVersion: profile.version, timestampMs: BASE_TIME + b * 60_000, seq: b + 1, district: `district-${g % 8}`,
    metrics: profile.metrics.map((m, j) => {
      const index = j + 1;
      const k = (i * 13 + j * 7 + b) % 100;
      if (m.type === 'boolean') return { index, flag: k % 2 === 0 };
      const min = m.min ?? 0;
      const max = m.max ?? min + 1000;
      if (m.type === 'integer') return { index, integer: Math.floor(min + (k / 100) * (max - min)) };
      return { index, number: Math.round((min + (k / 100) * (max - min)) * 10) / 10 };
    }),
  };
}

export function batchBytes(profiles: DeviceProfile[], g: number, b: number, readingsPerBatch: number): Uint8Array {
  const readings: IReading[] = [];
  for (let i = 0; i < readingsPerBatch; i++) readings.push(reading(profiles, g, b, i));
  return encodeUplinkBatch({ gatewayId: gatewayId(g), batchSeq: b + 1, sentAtMs: Date.now(), readings });
}

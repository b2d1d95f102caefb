import type { DeviceProfile } from '../device-profiles/index.ts';
import type { ReportConfig } from './config.ts';

interface Last { value: number | boolean; at: number }

/**
 * Report strategy per metric: a metric with a deadband (config `report`,
 * by "metric" or "profile.metric", device overrides gateway) is sent when it
 * moved more than the deadband since it was last sent, or when it has not
 * been sent for maxIntervalS; booleans are sent on any change. Metrics
 * without a deadband are sent on every poll. State is in memory: after a
 * restart every metric is sent once.
 */
export class ReportFilter {
  private readonly last = new Map<string, Map<string, Last>>();

  constructor(private readonly gateway: ReportConfig) {}

  /** The values worth sending now; empty when nothing changed enough (then no Reading is made). */
  select(deviceId: string, profile: DeviceProfile, values: Map<string, number | boolean>, now: number, device?: Partial<ReportConfig>): Map<string, number | boolean> {
    const deadbands = device?.deadbands ? { ...this.gateway.deadbands, ...device.deadbands } : this.gateway.deadbands;
    const maxIntervalMs = (device?.maxIntervalS ?? this.gateway.maxIntervalS) * 1000;
    let seen = this.last.get(deviceId);
    if (!seen) this.last.set(deviceId, (seen = new Map()));
    const out = new Map<string, number | boolean>();
    for (const [metric, value] of values) {
      const band = deadbands[`${profile.class}.${metric}`] ?? deadbands[metric];
      const prev = seen.get(metric);
      const due = band === undefined || !prev || now - prev.at >= maxIntervalMs || moved(prev.value, value, band);
      if (!due) continue;
      out.set(metric, value);
      seen.set(metric, { value, at: now });
    }
    return out;
  }

  forget(deviceId: string): void {
    this.last.delete(deviceId);
  }
}

function moved(prev: number | boolean, value: number | boolean, band: number): boolean {
  if (typeof prev === 'boolean' || typeof value === 'boolean') return prev !== value;
  return Math.abs(value - prev) > band;
}

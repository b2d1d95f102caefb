import type { DeviceProfile } from '../device-profiles/index.ts';
import type { ReportConfig } from './config.ts';

/** Last sent value of one metric of one device, updated in place (no object per value per poll). */
interface Last { value: number | boolean; at: number; band: number | undefined }

/**
 * Report strategy per metric: a metric with a deadband (config `report`,
 * by "metric" or "profile.metric", device overrides gateway) is sent when it
 * moved more than the deadband since it was last sent, or when it has not
 * been sent for maxIntervalS; booleans are sent on any change. Metrics
 * without a deadband are sent on every poll. State is in memory: after a
 * restart every metric is sent once. A device's deadband is looked up once,
 * when its metric is first seen: settings change only by a reload, which
 * makes a new filter.
 */
export class ReportFilter {
  private readonly last = new Map<string, Map<string, Last>>();

  constructor(private readonly gateway: ReportConfig) {}

  /**
   * The values worth sending now; empty when nothing changed enough (then no
   * Reading is made). When every value is due, that is `values` itself.
   */
  select(deviceId: string, profile: DeviceProfile, values: Map<string, number | boolean>, now: number, device?: Partial<ReportConfig>): Map<string, number | boolean> {
    const maxIntervalMs = (device?.maxIntervalS ?? this.gateway.maxIntervalS) * 1000;
    let seen = this.last.get(deviceId);
    if (!seen) this.last.set(deviceId, (seen = new Map()));
    let out: Map<string, number | boolean> | null = null;
    let kept = 0;
    for (const [metric, value] of values) {
      const prev = seen.get(metric);
      const due = !prev || prev.band === undefined || now - prev.at >= maxIntervalMs || moved(prev.value, value, prev.band);
      if (due) {
        if (prev) {
          prev.value = value;
          prev.at = now;
        } else {
          seen.set(metric, { value, at: now, band: this.band(profile, metric, device) });
        }
      }
      // Copied only once a value is held back: the common case (all due) allocates nothing.
      if (!due && out === null) out = new Map([...values].slice(0, kept));
      else if (due) {
        out?.set(metric, value);
        kept++;
      }
    }
    return out ?? values;
  }

  forget(deviceId: string): void {
    this.last.delete(deviceId);
  }

  private band(profile: DeviceProfile, metric: string, device?: Partial<ReportConfig>): number | undefined {
    const key = `${profile.class}.${metric}`;
    return device?.deadbands?.[key] ?? this.gateway.deadbands[key] ?? device?.deadbands?.[metric] ?? this.gateway.deadbands[metric];
  }
}

function moved(prev: number | boolean, value: number | boolean, band: number): boolean {
  if (typeof prev === 'boolean' || typeof value === 'boolean') return prev !== value;
  return Math.abs(value - prev) > band;
}

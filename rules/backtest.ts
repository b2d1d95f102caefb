import type { DeviceProfile, ProfileCatalogue, RuleSpec } from '../device-profiles/index.ts';
import { ManualClock, queryInfluxQL, quoteIdentifier, TzError, type InfluxTarget } from '../service-kit/index.ts';
import { CityCalendar } from './city-time.ts';
import { compileRuleSet, scopeCoversClass } from './compile.ts';
import { RuleEvaluator, type MetricValue } from './evaluator.ts';

// Backtest: a rule (new or changed) replayed over a time range of history
// from InfluxDB (InfluxQL, served by 1.x, 2.x v1-compat and 3.x) through the
// same evaluator that runs live — device time drives it, so history gives the
// answers live evaluation would have given. No-data is judged from the gaps
// between stored readings.

export interface BacktestRequest {
  rule: RuleSpec;
  from: number;
  to: number;
  devices?: string[];
  /** Most rows read (all profiles); beyond it the result says truncated. */
  maxRows?: number;
}

export interface BacktestFire { raisedAt: string; clearedAt: string | null; severity: string; values: Record<string, MetricValue> }

export interface BacktestResult {
  ruleId: string;
  from: string;
  to: string;
  /** How many alarms the rule would have raised. */
  count: number;
  readings: number;
  devicesSeen: number;
  truncated: boolean;
  devices: Array<{ deviceId: string; count: number; fires: BacktestFire[] }>;
}

const PAGE = 10_000;

function literal(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export async function runBacktest(influx: InfluxTarget, profiles: ProfileCatalogue, timeZone: string, req: BacktestRequest, progress?: (rows: number) => void): Promise<BacktestResult> {
  if (!(req.to > req.from)) throw new TzError('TZ_REQUEST_INVALID', 'backtest: `to` must be after `from`');
  const rule: RuleSpec = { ...req.rule, mode: 'live', overrides: req.rule.overrides?.map((o) => ({ ...o, set: { ...o.set, mode: undefined } })) };
  const clock = new ManualClock(req.from);
  const evaluator = new RuleEvaluator({ calendar: new CityCalendar(timeZone), clock });
  const inScope = profiles.all().filter((p) => scopeCoversClass(rule, p));
  evaluator.setRules(compileRuleSet([rule], inScope));
  const byDevice = new Map<string, BacktestFire[]>();
  const open = new Map<string, BacktestFire>();
  const maxRows = req.maxRows ?? 2_000_000;
  let rows = 0;
  let truncated = false;
  const seen = new Set<string>();
  const noDataMs = (p: DeviceProfile) => (rule.noData ? rule.noData.missedReports * p.reportIntervalSeconds * 1000 : undefined);

  for (const profile of inScope) {
    const deviceFilter = req.devices?.length ? ` AND (${req.devices.map((d) => `"device" = ${literal(d)}`).join(' OR ')})` : '';
    const gapMs = noDataMs(profile);
    const lastTs = new Map<string, number>();
    for (let offset = 0; ; offset += PAGE) {
      const q = `SELECT * FROM ${quoteIdentifier(profile.measurement)} WHERE time >= ${req.from}ms AND time < ${req.to}ms${deviceFilter} ORDER BY time ASC LIMIT ${PAGE} OFFSET ${offset}`;
      const series = await queryInfluxQL(influx, q);
      const s = series[0];
      if (!s || s.values.length === 0) break;
      const col = new Map(s.columns.map((c, i) => [c, i]));
      const metricCols = profile.metrics.map((m) => col.get(m.name));
      const timeCol = col.get('time');
      // InfluxQL always answers SELECT * with a time column first.
      if (timeCol === undefined) throw new TzError('TZ_INTERNAL', `backtest: InfluxDB answered ${profile.measurement} without a time column`);
      for (const row of s.values) {
        const t = Number(row[timeCol]);
        const deviceId = String(row[col.get('device') ?? -1] ?? '');
        if (!deviceId) continue;
        seen.add(deviceId);
        clock.set(t);
        if (gapMs !== undefined) {
          // No data: a gap longer than the rule allows would have fired, and this reading cleared it.
          const last = lastTs.get(deviceId);
          if (last !== undefined && t - last >= gapMs) {
            const fires = byDevice.get(deviceId) ?? [];
            fires.push({ raisedAt: new Date(last + gapMs).toISOString(), clearedAt: new Date(t).toISOString(), severity: rule.severity, values: {} });
            byDevice.set(deviceId, fires);
          }
          lastTs.set(deviceId, t);
          continue;
        }
        const metrics: Array<{ index: number; value: MetricValue }> = [];
        metricCols.forEach((c, i) => {
          const v = c === undefined ? null : row[c];
          if (typeof v === 'number' || typeof v === 'boolean') metrics.push({ index: i, value: v });
        });
        const result = evaluator.evaluate({
          deviceId, gatewayId: String(row[col.get('gateway') ?? -1] ?? ''), district: String(row[col.get('district') ?? -1] ?? ''), profile,
          profileVersion: Number(row[col.get('profile_version') ?? -1] ?? profile.version), timestampMs: t, metrics,
        });
        for (const tr of result.transitions) {
          if (tr.kind === 'fire') {
            const fire: BacktestFire = { raisedAt: new Date(t).toISOString(), clearedAt: null, severity: tr.severity, values: tr.evidence[tr.evidence.length - 1]?.values ?? {} };
            const fires = byDevice.get(deviceId) ?? [];
            fires.push(fire);
            byDevice.set(deviceId, fires);
            open.set(deviceId, fire);
          } else if (tr.kind === 'clear') {
            const fire = open.get(deviceId);
            if (fire) fire.clearedAt = new Date(t).toISOString();
            open.delete(deviceId);
          }
        }
      }
      rows += s.values.length;
      progress?.(rows);
      if (rows >= maxRows) { truncated = true; break; }
      if (s.values.length < PAGE) break;
    }
    if (gapMs !== undefined) {
      // Devices silent from their last reading to the end of the range.
      for (const [deviceId, last] of lastTs) {
        if (req.to - last >= gapMs) {
          const fires = byDevice.get(deviceId) ?? [];
          fires.push({ raisedAt: new Date(last + gapMs).toISOString(), clearedAt: null, severity: rule.severity, values: {} });
          byDevice.set(deviceId, fires);
        }
      }
    }
    if (truncated) break;
  }
  const devices = [...byDevice].map(([deviceId, fires]) => ({ deviceId, count: fires.length, fires })).sort((a, b) => b.count - a.count || a.deviceId.localeCompare(b.deviceId));
  return {
    ruleId: rule.id, from: new Date(req.from).toISOString(), to: new Date(req.to).toISOString(),
    count: devices.reduce((n, d) => n + d.count, 0), readings: rows, devicesSeen: seen.size, truncated, devices,
  };
}

import type { DeviceProfile, ProfileCatalogue } from '../../device-profiles/index.ts';
import { queryInfluxQL, quoteIdentifier, TzError, type InfluxTarget } from '../../service-kit/index.ts';
import type { DevicePlacement } from './district-map.ts';

// What the console shows per device: the ingest device registry (when its
// URL is configured) merged with the latest values stored in InfluxDB. A
// device is offline when it has been silent for more than three of its
// profile's report intervals — per class, not one global timeout.

export type DeviceState = 'ok' | 'offline';

export interface ConsoleDevice {
  deviceId: string;
  profile: string;
  title: string;
  gatewayId: string | null;
  district: string;
  lastSeen: string | null;
  state: DeviceState;
  values: Record<string, number | boolean>;
  battery: number | null;
  signal: number | null;
  lat: number;
  lon: number;
  /** Where the device stands, when the registry (or the simulator) knows. */
  address: string | null;
  gridCell: string | null;
  /** true: no known position, drawn at an estimated point inside its district. */
  estimated: boolean;
  /** What the device is mounted on and its labels (from the registry). */
  assetId: string | null;
  tags: string[];
  /** true: position, district, grid cell, asset and tags come from the device registry. */
  registered: boolean;
}

/**
 * A device as the registry (registry/ RegisteredDevice) knows it: the fields
 * the console needs. When a registry is configured these win over what the
 * telemetry claims (the gateway's district tag) and over the simulator's sites.
 */
export interface RegistryDeviceFacts {
  id: string;
  class: string;
  gatewayId: string;
  position: { lat: number; lon: number } | null;
  address: string | null;
  district: string | null;
  gridCell: string | null;
  assetId: string | null;
  tags: string[];
  state: string;
}

/** A device known with its place outside the registry (the simulator's sites). */
export interface SiteDevice {
  deviceId: string;
  profile: string;
  gatewayId: string;
  district: string;
  lat: number;
  lon: number;
  address: string;
  gridCell: string;
}

export interface DeviceHistory {
  deviceId: string;
  profile: string;
  /** Seconds since the epoch (uPlot's x axis). */
  times: number[];
  series: Record<string, Array<number | null>>;
}

export interface DeviceDirectoryOptions {
  profiles: ProfileCatalogue;
  placement: DevicePlacement;
  influx?: InfluxTarget;
  /** Base URL of ingest's HTTP server (its `GET /api/v1/devices`). */
  registryUrl?: string;
  /** How far back "latest" looks in InfluxDB. */
  lookbackHours?: number;
  now?: () => number;
  /** Devices with places from outside the registry; the registry and InfluxDB override what they know. */
  siteDevices?: () => SiteDevice[];
  /** The device registry in-process (the rules service with --registry-db): places, assets, tags; it overrides the other sources. */
  registryDevices?: () => RegistryDeviceFacts[];
}

const OFFLINE_AFTER_INTERVALS = 3;

interface Partial {
  deviceId: string;
  profile?: string;
  gatewayId?: string | null;
  district?: string;
  lastSeenMs?: number | null;
  values: Record<string, number | boolean>;
  battery?: number | null;
  signal?: number | null;
  lat?: number | null;
  lon?: number | null;
  address?: string | null;
  gridCell?: string | null;
  registryState?: string;
  assetId?: string | null;
  tags?: string[];
  registered?: boolean;
}

function timeOf(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e12 ? value * 1000 : value;
  if (typeof value === 'string' && value) {
    const t = Date.parse(value);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export class DeviceDirectory {
  constructor(private readonly options: DeviceDirectoryOptions) {}

  async list(authorization?: string): Promise<ConsoleDevice[]> {
    const merged = new Map<string, Partial>();
    const take = (p: Partial): void => {
      const prev = merged.get(p.deviceId);
      if (!prev) merged.set(p.deviceId, p);
      else merged.set(p.deviceId, { ...prev, ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined && v !== null)), values: { ...prev.values, ...p.values }, lastSeenMs: Math.max(prev.lastSeenMs ?? 0, p.lastSeenMs ?? 0) || null });
    };
    for (const d of this.options.siteDevices?.() ?? []) take({ ...d, values: {} });
    if (this.options.registryUrl) for (const d of await this.fromRegistry(this.options.registryUrl, authorization)) take(d);
    if (this.options.influx) for (const d of await this.fromInflux(this.options.influx)) take(d);
    // Last, so the registry's place, asset and tags win over the gateway's district tag.
    for (const d of this.options.registryDevices?.() ?? []) {
      if (d.state === 'retired') continue;
      take({
        deviceId: d.id, profile: d.class, gatewayId: d.gatewayId, ...(d.district ? { district: d.district } : {}), values: {},
        lat: d.position?.lat ?? null, lon: d.position?.lon ?? null, address: d.address, gridCell: d.gridCell, assetId: d.assetId, tags: d.tags, registered: true,
      });
    }
    const now = (this.options.now ?? Date.now)();
    const devices: ConsoleDevice[] = [];
    for (const d of merged.values()) {
      const profile = d.profile ? this.options.profiles.get(d.profile) : undefined;
      if (!profile) continue;
      const lastSeen = d.lastSeenMs ?? null;
      const silent = lastSeen === null || now - lastSeen > OFFLINE_AFTER_INTERVALS * profile.reportIntervalSeconds * 1000;
      const district = d.district ?? '';
      const estimated = d.lat == null || d.lon == null;
      const [lat, lon] = d.lat == null || d.lon == null ? this.options.placement.position(d.deviceId, district) : [d.lat, d.lon];
      devices.push({
        deviceId: d.deviceId, profile: profile.class, title: profile.title, gatewayId: d.gatewayId ?? null, district,
        lastSeen: lastSeen === null ? null : new Date(lastSeen).toISOString(),
        state: silent || d.registryState === 'offline' ? 'offline' : 'ok',
        values: d.values,
        battery: d.battery ?? num(d.values.battery_pct),
        signal: d.signal ?? num(d.values.rssi_dbm),
        lat, lon, address: d.address ?? null, gridCell: d.gridCell ?? null, estimated,
        assetId: d.assetId ?? null, tags: d.tags ?? [], registered: d.registered ?? false,
      });
    }
    return devices.sort((a, b) => a.deviceId.localeCompare(b.deviceId));
  }

  private async fromRegistry(registryUrl: string, authorization?: string): Promise<Partial[]> {
    const url = `${registryUrl.replace(/\/+$/, '')}/api/v1/devices`;
    let body: unknown;
    try {
      const res = await fetch(url, { headers: authorization ? { authorization } : {}, signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      body = await res.json();
    } catch (err) {
      throw new TzError('TZ_DEVICE_REGISTRY', `device registry ${url} failed: ${(err as Error).message}`, { cause: err, retryable: true });
    }
    const rows = Array.isArray(body) ? body : ((body as { devices?: unknown[] }).devices ?? []);
    return rows.flatMap((row): Partial[] => {
      const r = row as Record<string, unknown>;
      const deviceId = String(r.deviceId ?? r.id ?? '');
      if (!deviceId) return [];
      const values = (r.lastValues ?? r.values ?? {}) as Record<string, number | boolean>;
      return [{
        deviceId, profile: typeof r.profile === 'string' ? r.profile : undefined,
        gatewayId: typeof (r.gatewayId ?? r.gateway) === 'string' ? String(r.gatewayId ?? r.gateway) : null,
        district: typeof r.district === 'string' ? r.district : undefined,
        lastSeenMs: timeOf(r.lastSeen ?? r.lastSeenAt ?? r.lastSeenMs),
        values, battery: num(r.battery ?? r.batteryPct), signal: num(r.rssi ?? r.rssiDbm ?? r.signal),
        lat: num(r.lat ?? r.latitude ?? (r.position as { lat?: unknown } | undefined)?.lat), lon: num(r.lon ?? r.long ?? r.longitude ?? (r.position as { lon?: unknown } | undefined)?.lon),
        address: typeof r.address === 'string' ? r.address : null, gridCell: typeof r.gridCell === 'string' ? r.gridCell : null,
        registryState: typeof (r.state ?? r.status) === 'string' ? String(r.state ?? r.status) : undefined,
      }];
    });
  }

  /** The last `hours` by the directory's clock (city time under a simulated clock), else by InfluxDB's. */
  private since(hours: number): string {
    return this.options.now ? `time > ${Math.floor(this.options.now() - hours * 3_600_000)}ms` : `time > now() - ${hours}h`;
  }

  private async fromInflux(influx: InfluxTarget): Promise<Partial[]> {
    const hours = this.options.lookbackHours ?? 24 * 7;
    const out: Partial[] = [];
    for (const profile of this.options.profiles.all()) {
      const m = quoteIdentifier(profile.measurement);
      const lastValues = profile.metrics.map((x) => `last(${quoteIdentifier(x.name)}) AS ${quoteIdentifier(x.name)}`).join(', ');
      // Two statements: several selectors in one return time 0, so last(seq) alone gives the real last-seen time.
      const since = this.since(hours);
      const series = await queryInfluxQL(influx, `SELECT last("seq") FROM ${m} WHERE ${since} GROUP BY "device", "district", "gateway"; SELECT ${lastValues} FROM ${m} WHERE ${since} GROUP BY "device"`);
      for (const s of series) {
        const deviceId = s.tags?.device;
        if (!deviceId) continue;
        const row = s.values[0] ?? [];
        if (s.columns.includes('last')) {
          out.push({ deviceId, profile: profile.class, district: s.tags?.district || undefined, gatewayId: s.tags?.gateway || null, lastSeenMs: timeOf(row[0]), values: {} });
        } else {
          const values: Record<string, number | boolean> = {};
          s.columns.forEach((c, i) => {
            const v = row[i];
            if (c !== 'time' && (typeof v === 'number' || typeof v === 'boolean')) values[c] = v;
          });
          out.push({ deviceId, profile: profile.class, values });
        }
      }
    }
    return out;
  }

  /** The last `hours` of one device: numeric metrics averaged, on/off states last-of, per step. */
  async history(deviceId: string, profile: DeviceProfile, hours: number): Promise<DeviceHistory> {
    if (!this.options.influx) throw new TzError('TZ_CONFIG_INVALID', 'the console has no InfluxDB configured, so it has no history');
    const stepMinutes = Math.max(1, Math.round((hours * 60) / 144));
    const m = quoteIdentifier(profile.measurement);
    // GROUP BY time() ends at InfluxDB's now() unless told: under a simulated clock that is not the city's now.
    const where = `"device" = '${deviceId.replace(/'/g, "\\'")}' AND ${this.since(hours)}${this.options.now ? ` AND time <= ${Math.floor(this.options.now())}ms` : ''}`;
    const numbers = profile.metrics.filter((x) => x.type !== 'boolean');
    const flags = profile.metrics.filter((x) => x.type === 'boolean');
    const statements = [
      numbers.length ? `SELECT ${numbers.map((x) => `mean(${quoteIdentifier(x.name)}) AS ${quoteIdentifier(x.name)}`).join(', ')} FROM ${m} WHERE ${where} GROUP BY time(${stepMinutes}m) fill(none)` : '',
      flags.length ? `SELECT ${flags.map((x) => `last(${quoteIdentifier(x.name)}) AS ${quoteIdentifier(x.name)}`).join(', ')} FROM ${m} WHERE ${where} GROUP BY time(${stepMinutes}m) fill(none)` : '',
    ].filter(Boolean);
    const series = await queryInfluxQL(this.options.influx, statements.join('; '));
    const byTime = new Map<number, Record<string, number | null>>();
    for (const s of series) {
      for (const row of s.values) {
        const t = Math.round(Number(row[0]) / 1000);
        const entry = byTime.get(t) ?? {};
        s.columns.forEach((c, i) => {
          if (c === 'time') return;
          const v = row[i];
          entry[c] = typeof v === 'boolean' ? Number(v) : typeof v === 'number' ? v : null;
        });
        byTime.set(t, entry);
      }
    }
    const times = [...byTime.keys()].sort((a, b) => a - b);
    const result: Record<string, Array<number | null>> = {};
    for (const metric of profile.metrics) result[metric.name] = times.map((t) => byTime.get(t)?.[metric.name] ?? null);
    return { deviceId, profile: profile.class, times, series: result };
  }
}

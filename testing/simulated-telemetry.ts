/** Options for {@link writeSimulatedTelemetry}. */
export interface SimulatedTelemetryOptions {
  /** Device profiles to simulate (one measurement each, as ARCHITECTURE.md lays out). */
  profiles: ReadonlyArray<{ class: string; version: number; measurement: string; metrics: ReadonlyArray<{ name: string; type: 'number' | 'integer' | 'boolean'; min?: number; max?: number }> }>;
  devicesPerClass?: number;
  districts?: readonly string[];
  /** Readings per device, `everyMs` apart, the last one at `endMs`. */
  readingsPerDevice?: number;
  everyMs?: number;
  endMs?: number;
  seed?: number;
}

/**
 * Fills a real influxd with seeded readings in the InfluxDB layout of
 * ARCHITECTURE.md (measurement per class; tags device, gateway, district,
 * profile_version; one field per metric plus seq; device time in ms), written
 * as line protocol to /write. Returns the device ids per class.
 */
export async function writeSimulatedTelemetry(influx: { url: string; database: string }, options: SimulatedTelemetryOptions): Promise<Map<string, string[]>> {
  const { devicesPerClass = 4, districts = ['gulou', 'xuanwu'], readingsPerDevice = 144, everyMs = 600_000, endMs = Date.now(), seed = 7 } = options;
  let state = seed >>> 0 || 1;
  const random = (): number => {
    state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
    return state / 0x1_0000_0000;
  };
  await fetch(`${influx.url}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE "${influx.database}"` }) });
  const devices = new Map<string, string[]>();
  const lines: string[] = [];
  for (const profile of options.profiles) {
    const ids: string[] = [];
    const prefix = profile.class.split('-').map((w) => w[0]).join('');
    for (let d = 0; d < devicesPerClass; d++) {
      const deviceId = `${prefix}-${String(d + 1).padStart(4, '0')}`;
      ids.push(deviceId);
      const tags = `device=${deviceId},district=${districts[d % districts.length]},gateway=gw-${String((d % 2) + 1).padStart(4, '0')},profile_version=${profile.version}`;
      for (let i = 0; i < readingsPerDevice; i++) {
        const fields = profile.metrics.map((m) => {
          const lo = m.min ?? 0;
          const hi = m.max ?? 100;
          if (m.type === 'boolean') return `${m.name}=${random() < 0.3 ? 'true' : 'false'}`;
          if (m.type === 'integer') return `${m.name}=${Math.round(lo + random() * (hi - lo))}i`;
          return `${m.name}=${(lo + random() * (hi - lo)).toFixed(2)}`;
        });
        lines.push(`${profile.measurement},${tags} ${fields.join(',')},seq=${i + 1}i ${endMs - (readingsPerDevice - 1 - i) * everyMs}`);
      }
    }
    devices.set(profile.class, ids);
  }
  for (let i = 0; i < lines.length; i += 5000) {
    const res = await fetch(`${influx.url}/write?db=${encodeURIComponent(influx.database)}&precision=ms`, { method: 'POST', body: lines.slice(i, i + 5000).join('\n') });
    if (res.status !== 204) throw new Error(`influxd refused the simulated telemetry: ${res.status} ${await res.text()}`);
  }
  return devices;
}

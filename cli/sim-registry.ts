import type { SimulatedDeviceInfo } from '../firmware-sim/index.ts';
import { importFile, type ImportReport, type LifecycleState, type RegistryStore, type SqliteRegistryStore } from '../registry/index.ts';
import { runSteps, step, TzError, type Maybe, type Steps } from '../service-kit/index.ts';

// The simulated city in the registry (`npm start`, `tianzhong sim
// --registry-db`): the stack's gateway, an asset for each device that stands
// on something (a smart pole is a lamp post with its noise sensor, a manhole
// cover closes a shaft), and every simulated device with its Modbus TCP
// address, street position, address, district and grid cell — through the
// same import a person runs, so the records are checked the same way and a
// second run with the same city changes nothing.

/** What a device of each class is mounted on (asset kind, zh-CN name). */
const MOUNTED_ON: Record<string, { kind: string; name: string }> = {
  'smart-pole': { kind: 'pole', name: '灯杆' },
  'manhole-cover': { kind: 'shaft', name: '检查井' },
  'public-toilet': { kind: 'toilet-block', name: '公厕' },
  'fire-hydrant': { kind: 'hydrant', name: '消火栓' },
};

export interface SeedOutcome {
  gateways: ImportReport;
  assets: ImportReport;
  devices: ImportReport;
  /** Devices registered to this gateway before that this city does not have: retired now. */
  retired: string[];
  /** Devices of this city that the registry has retired (retirement is final): left out, not polled. */
  keptRetired: string[];
}

export interface SeedOptions {
  gatewayId: string;
  /** Who seeds (lifecycle history). */
  by: string;
}

type Feature = { type: 'Feature'; geometry: { type: 'Point'; coordinates: [number, number] } | null; properties: Record<string, unknown> };

function point(d: SimulatedDeviceInfo): Feature['geometry'] {
  return d.site ? { type: 'Point', coordinates: [d.site.lon, d.site.lat] } : null;
}

function collection(features: Feature[]): string {
  return JSON.stringify({ type: 'FeatureCollection', features });
}

function applied(kind: string, report: ImportReport): ImportReport {
  if (!report.applied) {
    const first = report.problems.slice(0, 3).map((p) => `row ${p.row} ${p.column}: ${p.problem}`).join('; ');
    throw new TzError('TZ_REGISTRY_INVALID', `seeding the registry with the simulated ${kind} failed: ${first}`, { details: { problems: report.problems.slice(0, 20) } });
  }
  return report;
}

/** Registers the simulated devices (Modbus TCP only: the stack's agent polls them over TCP) on one gateway; at once over SQLite. */
export function seedSimulatedRegistry(store: SqliteRegistryStore, devices: readonly SimulatedDeviceInfo[], options: SeedOptions): SeedOutcome;
export function seedSimulatedRegistry(store: RegistryStore, devices: readonly SimulatedDeviceInfo[], options: SeedOptions): Maybe<SeedOutcome>;
export function seedSimulatedRegistry(store: RegistryStore, devices: readonly SimulatedDeviceInfo[], options: SeedOptions): Maybe<SeedOutcome> {
  return runSteps(seedSteps(store, devices, options));
}

function* seedSteps(store: RegistryStore, devices: readonly SimulatedDeviceInfo[], options: SeedOptions): Steps<SeedOutcome> {
  const polled = devices.filter((d) => d.transport === 'tcp');
  const first = polled.find((d) => d.site);
  const gateways = applied('gateway', yield* step(importFile(store, {
    kind: 'gateways', format: 'geojson', by: options.by,
    text: collection([{
      type: 'Feature', geometry: first ? point(first) : null,
      properties: { id: options.gatewayId, name: `仿真网关 ${options.gatewayId}`, ...(first?.site ? { address: first.site.address, district: first.site.district } : {}), tags: 'simulated' },
    }]),
  })));

  const mounted = polled.flatMap((d) => {
    const on = MOUNTED_ON[d.profile];
    return on ? [{ device: d, assetId: `asset-${d.deviceId}`, ...on }] : [];
  });
  const assets = applied('assets', yield* step(importFile(store, {
    kind: 'assets', format: 'geojson', by: options.by,
    text: collection(mounted.map((m) => ({
      type: 'Feature', geometry: point(m.device),
      properties: {
        id: m.assetId, kind: m.kind, name: m.device.site ? `${m.device.site.street}${m.name}` : m.name,
        ...(m.device.site ? { address: m.device.site.address, district: m.device.site.district, gridCell: m.device.site.gridCell } : { district: m.device.district }),
        tags: 'simulated',
      },
    }))),
  })));
  const assetOf = new Map(mounted.map((m) => [m.device.deviceId, m.assetId]));

  const states = new Map<string, LifecycleState>();
  for (const d of polled) {
    const stored = yield* step(store.getDevice(d.deviceId));
    if (stored) states.set(d.deviceId, stored.state);
  }
  const stateOf = (id: string) => states.get(id);
  const ours = new Set(polled.map((d) => d.deviceId));
  const keptRetired = polled.filter((d) => stateOf(d.deviceId) === 'retired').map((d) => d.deviceId);
  const skip = new Set(keptRetired);
  const records = polled.filter((d) => !skip.has(d.deviceId));
  const devicesReport = applied('devices', yield* step(importFile(store, {
    kind: 'devices', format: 'geojson', by: options.by,
    text: collection(records.map((d) => ({
      type: 'Feature', geometry: point(d),
      properties: {
        id: d.deviceId, class: d.profile, gatewayId: options.gatewayId, transport: 'modbus-tcp', host: d.host, port: d.port, unit: d.unitId,
        ...(d.site ? { address: d.site.address, district: d.site.district, gridCell: d.site.gridCell } : { district: d.district }),
        ...(assetOf.has(d.deviceId) ? { assetId: assetOf.get(d.deviceId) } : {}),
        // A new device (or one a gateway reported first) is active; a stored one keeps its lifecycle state (an operator's maintenance stays).
        vendor: 'tianzhong-sim', tags: 'simulated', ...(stateOf(d.deviceId) === undefined || stateOf(d.deviceId) === 'discovered' ? { state: 'active' } : {}),
      },
    }))),
  })));

  // Devices an earlier run registered on this gateway and this city does not have: the gateway would poll nothing there.
  const retired: string[] = [];
  for (const d of yield* step(store.devicesOfGateway(options.gatewayId))) {
    if (ours.has(d.id) || d.state === 'retired' || d.state === 'discovered') continue;
    yield* step(store.retireDevice(d.id, options.by, 'not in this simulated city'));
    retired.push(d.id);
  }
  return { gateways, assets, devices: devicesReport, retired, keptRetired };
}

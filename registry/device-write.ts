import { TzError } from '../service-kit/index.ts';
import { flattenAsset, type AssetDraft } from './asset-record.ts';
import type { DeviceCheckContext, DeviceDraft, DraftTransport } from './device-record.ts';
import type { FieldProblem } from './fields.ts';
import { flattenGateway, type GatewayDraft } from './gateway-record.ts';
import { CREATABLE_STATES, transitionProblem } from './lifecycle.ts';
import { sameLoraKeys, type RegistryKey } from './lora-keys.ts';
import type { Asset, Gateway, LifecycleState, RegisteredDevice } from './model.ts';
import type { ProfileSource } from './registry-store.ts';
import { deviceContent, toDevice, transportOf, type DeviceRow } from './rows.ts';

// What both registry stores decide the same way, apart from their SQL: the
// check context of a device record, whether a draft changes the stored
// record, the sealed keys and the lifecycle step of a write.

export function invalid(what: string, problems: FieldProblem[]): TzError {
  return new TzError('TZ_REGISTRY_INVALID', `${what}: ${problems.map((p) => `${p.column}: ${p.problem}`).join('; ')}`, { details: { problems } });
}

export function notFound(kind: string, id: string): TzError {
  return new TzError('TZ_REGISTRY_NOT_FOUND', `no ${kind} "${id}" in the registry`, { details: { id } });
}

/** The trimmed id of a flat record ('' when it has none). */
export function recordIdOf(record: Record<string, unknown>): string {
  return typeof record.id === 'string' ? record.id.trim() : '';
}

/** What checkDevice needs, from a lookup of stored rows and of assets (both answered synchronously). */
export function deviceCheckContextOf(o: { profiles: ProfileSource; canSealKeys: boolean; row: (id: string) => DeviceRow | undefined; assetExists: (id: string) => boolean }): DeviceCheckContext {
  return {
    metricsOf: (classId) => o.profiles.get(classId)?.metrics.map((m) => m.name),
    knownClasses: () => o.profiles.all().map((p) => p.class).sort(),
    assetExists: o.assetExists,
    storedActivation: (id) => {
      const r = o.row(id);
      if (!r?.lora_keys || r.transport === null) return null;
      const t = JSON.parse(r.transport) as DraftTransport;
      return t.kind === 'lorawan' ? t.activation : null;
    },
    canSealKeys: o.canSealKeys,
    storedState: (id) => o.row(id)?.state,
    storedWithoutTransport: (id) => {
      const r = o.row(id);
      return r !== undefined && r.transport === null;
    },
  };
}

/** Why this draft cannot be written over what is stored (a lifecycle move that is not allowed), or null. */
export function deviceWriteProblem(draft: DeviceDraft, context: DeviceCheckContext): FieldProblem | null {
  const stored = context.storedState(draft.id);
  if (stored === undefined || draft.state === null) return null;
  const problem = transitionProblem(stored, draft.state);
  return problem ? { column: 'state', problem } : null;
}

/** A device row's columns as both stores write them (revision apart). */
export interface DeviceValues {
  id: string; class: string; gatewayId: string; transport: string | null; loraKeys: Buffer | null; pollIntervalS: number | null; deadbands: string;
  lat: number | null; lon: number | null; address: string | null; district: string | null; gridCell: string | null; assetId: string | null;
  vendor: string | null; model: string | null; serial: string | null; firmware: string | null; installedOn: string | null; state: LifecycleState; tags: string; at: string;
}

/** The same values in the order of DEVICE_VALUE_COLUMNS (for positional parameters). */
export const DEVICE_VALUE_COLUMNS = ['id', 'class', 'gateway_id', 'transport', 'lora_keys', 'poll_interval_s', 'deadbands', 'lat', 'lon', 'address', 'district', 'grid_cell',
  'asset_id', 'vendor', 'model', 'serial', 'firmware', 'installed_on', 'state', 'tags'] as const;

export function deviceValueList(v: DeviceValues): unknown[] {
  return [v.id, v.class, v.gatewayId, v.transport, v.loraKeys, v.pollIntervalS, v.deadbands, v.lat, v.lon, v.address, v.district, v.gridCell, v.assetId,
    v.vendor, v.model, v.serial, v.firmware, v.installedOn, v.state, v.tags];
}

/** What writing a draft over the stored row comes to: nothing, or a row to insert or update and the lifecycle step to keep. */
export type DeviceWritePlan =
  | { outcome: 'unchanged' }
  | { outcome: 'created' | 'updated'; values: DeviceValues; step: { from: LifecycleState | null; to: LifecycleState } | null };

/**
 * Creates it, updates what differs, or leaves an identical record alone (so
 * re-importing a file changes nothing). State changes follow the lifecycle
 * table. Keys: new ones replace the stored ones unless equal; none given keeps
 * them while the device stays LoRaWAN; they are sealed here, never stored plain.
 */
export function planDeviceWrite(existing: DeviceRow | undefined, draft: DeviceDraft, key: RegistryKey | null, at: string): DeviceWritePlan {
  const base = {
    id: draft.id, class: draft.class, gatewayId: draft.gatewayId, transport: draft.transport === null ? null : JSON.stringify(draft.transport),
    pollIntervalS: draft.pollIntervalS, deadbands: JSON.stringify(draft.deadbands), lat: draft.position?.lat ?? null, lon: draft.position?.lon ?? null,
    address: draft.address, district: draft.district, gridCell: draft.gridCell, assetId: draft.assetId, vendor: draft.vendor, model: draft.model,
    serial: draft.serial, firmware: draft.firmware, installedOn: draft.installedOn, tags: JSON.stringify(draft.tags), at,
  };
  const sealer = (): RegistryKey => {
    if (!key) throw new TzError('TZ_REGISTRY_KEY', 'LoRa keys cannot be stored without a registry key: set TZ_REGISTRY_KEY (openssl rand -hex 32) or TZ_REGISTRY_KEY_FILE');
    return key;
  };
  if (draft.loraKeys !== null) sealer();
  if (!existing) {
    const state = draft.state ?? 'planned';
    if (!CREATABLE_STATES.includes(state)) throw new TzError('TZ_REGISTRY_TRANSITION', `a new device cannot start as ${state} (one of ${CREATABLE_STATES.join(', ')})`);
    const loraKeys = draft.loraKeys === null ? null : sealer().seal(draft.id, draft.loraKeys);
    return { outcome: 'created', values: { ...base, loraKeys, state }, step: { from: null, to: state } };
  }
  const current = toDevice(existing);
  const state = draft.state ?? current.state;
  const stateProblem = transitionProblem(current.state, state);
  if (stateProblem) throw new TzError('TZ_REGISTRY_TRANSITION', `device ${draft.id}: ${stateProblem}`);
  let loraKeys: Buffer | null = existing.lora_keys;
  let keysChanged = false;
  if (draft.transport?.kind !== 'lorawan') {
    keysChanged = loraKeys !== null;
    loraKeys = null;
  } else if (draft.loraKeys !== null) {
    const stored = existing.lora_keys === null ? null : sealer().open(draft.id, existing.lora_keys);
    if (stored === null || !sameLoraKeys(stored, draft.loraKeys)) {
      loraKeys = sealer().seal(draft.id, draft.loraKeys);
      keysChanged = true;
    }
  }
  const contentChanged = deviceContent(draft) !== deviceContent({ ...current, transport: transportOf(current) });
  if (!contentChanged && !keysChanged && state === current.state) return { outcome: 'unchanged' };
  return { outcome: 'updated', values: { ...base, loraKeys, state }, step: state !== current.state ? { from: current.state, to: state } : null };
}

/** The values of a device a gateway reported and nobody registered (no transport, state discovered). */
export function discoveredDeviceValues(gatewayId: string, deviceId: string, profile: string, at: string): DeviceValues {
  return {
    id: deviceId, class: profile, gatewayId, transport: null, loraKeys: null, pollIntervalS: null, deadbands: '{}', lat: null, lon: null, address: null,
    district: null, gridCell: null, assetId: null, vendor: null, model: null, serial: null, firmware: null, installedOn: null, state: 'discovered', tags: '[]', at,
  };
}

/** The state an asset draft lands in, or null when the draft would change nothing. */
export function assetWriteState(existing: Asset | undefined, draft: AssetDraft): Asset['state'] | null {
  const state = draft.state ?? existing?.state ?? 'active';
  if (existing && JSON.stringify(flattenAsset(existing)) === JSON.stringify(flattenAsset({ ...existing, ...draft, state }))) return null;
  return state;
}

/** The state a gateway draft lands in, or null when the draft would change nothing. */
export function gatewayWriteState(existing: Gateway | undefined, draft: GatewayDraft): Gateway['state'] | null {
  const state = draft.state ?? existing?.state ?? 'active';
  if (existing && JSON.stringify(flattenGateway(existing)) === JSON.stringify(flattenGateway({ ...existing, ...draft, state }))) return null;
  return state;
}

/** A patch record over a device's stored record: a new transport replaces the old one's fields rather than mixing with them. */
export function devicePatchBase(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  if (typeof patch.transport === 'string' && patch.transport !== base.transport) {
    for (const k of ['host', 'port', 'unit', 'line', 'devEui', 'devAddr', 'activation']) base[k] = null;
  }
  return base;
}

/** The state an operator accepts a discovered device into (default active: it is already reporting); refuses a device that is not discovered. */
export function acceptedState(current: RegisteredDevice, fields: Record<string, unknown>): unknown {
  if (current.state !== 'discovered') throw new TzError('TZ_REGISTRY_TRANSITION', `device ${current.id} is ${current.state}, not discovered: nothing to accept`);
  const state = fields.state ?? 'active';
  if (state === 'discovered' || state === 'retired') throw invalid(`device ${current.id}`, [{ column: 'state', problem: 'accept into planned, installed or active (retire rejects a discovered device)' }]);
  return state;
}

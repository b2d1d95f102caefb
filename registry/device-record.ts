import { TzError } from '../service-kit/index.ts';
import { field, parseFields, positionFields, positionOf, required, type FieldProblem } from './fields.ts';
import { LIFECYCLE_STATES, TRANSPORT_KINDS, type LifecycleState, type LoraKeys, type Position, type RegisteredDevice } from './model.ts';

// A device as one flat record: the CSV columns (in this order), the GeoJSON
// properties, the API body. checkDevice turns one into a DeviceDraft or says
// what is wrong with each column.

export const DEVICE_FIELDS = {
  id: field.id(),
  class: field.pattern(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be a device class id (lower-kebab-case)'),
  gatewayId: field.id(),
  transport: field.oneOf(TRANSPORT_KINDS),
  host: field.pattern(/^[A-Za-z0-9.:_-]{1,253}$/, 'must be a host name or IP address'),
  port: field.int(1, 65535),
  unit: field.int(0, 255),
  line: field.pattern(/^[A-Za-z0-9_./-]{1,64}$/, 'must be a serial line name (letters, digits, _ . / -)'),
  devEui: field.hex(16),
  devAddr: field.hex(8),
  activation: field.oneOf(['abp', 'otaa']),
  nwkSKey: field.hex(32),
  appSKey: field.hex(32),
  appKey: field.hex(32),
  pollIntervalS: field.int(1, 86_400),
  deadbands: field.deadbands(),
  ...positionFields,
  address: field.text(200),
  district: field.text(64),
  gridCell: field.text(64),
  assetId: field.id(),
  vendor: field.text(100),
  model: field.text(100),
  serial: field.text(100),
  firmware: field.text(100),
  installedOn: field.date(),
  state: field.oneOf(LIFECYCLE_STATES),
  tags: field.tags(),
  // Added after the first release: the meter address of a DL/T 645 or CJ/T 188 meter (last, so older files keep their column order).
  meterAddress: field.pattern(/^\d{12}(\d{2})?$/, 'must be the meter address as printed: 12 digits (DL/T 645) or 14 digits (CJ/T 188)'),
} as const;

export const DEVICE_COLUMNS = Object.keys(DEVICE_FIELDS);
const SECRET_COLUMNS = new Set(['nwkSKey', 'appSKey', 'appKey']);
export const DEVICE_EXPORT_COLUMNS = DEVICE_COLUMNS.filter((c) => !SECRET_COLUMNS.has(c));

const ONLY: Record<string, readonly string[]> = {
  host: ['modbus-tcp', 'dlt645', 'cjt188'], port: ['modbus-tcp', 'dlt645', 'cjt188'], line: ['modbus-rtu', 'dlt645', 'cjt188'], unit: ['modbus-tcp', 'modbus-rtu'],
  meterAddress: ['dlt645', 'cjt188'],
  devEui: ['lorawan'], devAddr: ['lorawan'], activation: ['lorawan'], nwkSKey: ['lorawan'], appSKey: ['lorawan'], appKey: ['lorawan'],
};

/** The transport as stored (keys apart). */
export type DraftTransport =
  | { kind: 'modbus-tcp'; host: string; port: number; unit: number }
  | { kind: 'modbus-rtu'; line: string; unit: number }
  | { kind: 'lorawan'; devEui: string; devAddr: string | null; activation: 'abp' | 'otaa' }
  | { kind: 'dlt645' | 'cjt188'; meterAddress: string; line: string | null; host: string | null; port: number | null };

/** Address digits each field protocol prints on the meter (DL/T 645-2007 §7.1: 6 bytes BCD; CJ/T 188-2004 §6.2: 7 bytes BCD). */
const METER_DIGITS = { dlt645: 12, cjt188: 14 } as const;

/** A checked device record, ready to write. */
export interface DeviceDraft {
  id: string;
  class: string;
  gatewayId: string;
  transport: DraftTransport | null;
  /** Keys given with this record; null: none given (keep the stored ones). */
  loraKeys: LoraKeys | null;
  pollIntervalS: number | null;
  deadbands: Record<string, number>;
  position: Position | null;
  address: string | null;
  district: string | null;
  gridCell: string | null;
  assetId: string | null;
  vendor: string | null;
  model: string | null;
  serial: string | null;
  firmware: string | null;
  installedOn: string | null;
  tags: string[];
  /** null: not given (new devices start planned; existing ones keep theirs). */
  state: LifecycleState | null;
}

/** What a check needs to know beyond the record. */
export interface DeviceCheckContext {
  /** Metric names of a device class, or undefined when no profile has that class. */
  metricsOf(classId: string): readonly string[] | undefined;
  knownClasses(): readonly string[];
  assetExists(assetId: string): boolean;
  /** The activation of the LoRa keys stored for this device, null when none. */
  storedActivation(deviceId: string): 'abp' | 'otaa' | null;
  /** False when no registry key is configured: LoRa keys cannot be stored. */
  canSealKeys: boolean;
  /** True when the stored device has no transport yet (reported by a gateway): the record may leave it out. */
  storedWithoutTransport(deviceId: string): boolean;
  /** The stored device's lifecycle state, undefined when it is new. */
  storedState(deviceId: string): LifecycleState | undefined;
}

export function checkDevice(raw: Record<string, unknown>, ctx: DeviceCheckContext): { draft?: DeviceDraft; problems: FieldProblem[] } {
  const { values: v, problems } = parseFields(raw, DEVICE_FIELDS);
  const failed = new Set(problems.map((p) => p.column));
  const transportless = v.transport === undefined && !failed.has('transport') && v.id !== undefined && ctx.storedWithoutTransport(v.id);
  required(v, transportless ? ['id', 'class', 'gatewayId'] : ['id', 'class', 'gatewayId', 'transport'], problems, failed);
  const need = (column: keyof typeof v, why: string) => {
    if (v[column] === undefined && !failed.has(column)) problems.push({ column, problem: `required ${why}` });
  };

  let metrics: readonly string[] | undefined;
  if (v.class !== undefined) {
    metrics = ctx.metricsOf(v.class);
    if (metrics === undefined) problems.push({ column: 'class', problem: `no device profile "${v.class}" (known: ${ctx.knownClasses().join(', ')})` });
  }
  if (metrics !== undefined && v.deadbands !== undefined) {
    const known = metrics;
    const unknown = Object.keys(v.deadbands).filter((m) => !known.includes(m));
    if (unknown.length) problems.push({ column: 'deadbands', problem: `no metric ${unknown.join(', ')} in ${v.class} (metrics: ${metrics.join(', ')})` });
  }
  if (v.assetId !== undefined && !ctx.assetExists(v.assetId)) problems.push({ column: 'assetId', problem: `no asset "${v.assetId}" in the registry (import assets first)` });
  if (v.state === 'discovered' && (v.id === undefined || ctx.storedState(v.id) !== 'discovered')) problems.push({ column: 'state', problem: 'discovered is set by gateways reporting, not by hand' });

  const kind = v.transport;
  for (const [column, kinds] of Object.entries(ONLY)) {
    if (kind !== undefined && (v as Record<string, unknown>)[column] !== undefined && !kinds.includes(kind)) problems.push({ column, problem: `not used by transport ${kind}` });
  }
  let transport: DraftTransport | undefined;
  let loraKeys: LoraKeys | null = null;
  if (kind === 'modbus-tcp') {
    need('host', 'for modbus-tcp');
    if (v.host !== undefined) transport = { kind, host: v.host, port: v.port ?? 502, unit: v.unit ?? 1 };
  } else if (kind === 'modbus-rtu') {
    need('line', 'for modbus-rtu');
    need('unit', 'for modbus-rtu');
    // Modbus over serial line V1.02 §2.2: individual slave addresses are 1–247.
    if (v.unit !== undefined && (v.unit < 1 || v.unit > 247)) problems.push({ column: 'unit', problem: 'a serial slave address is 1–247' });
    else if (v.line !== undefined && v.unit !== undefined) transport = { kind, line: v.line, unit: v.unit };
  } else if (kind === 'lorawan') {
    need('devEui', 'for lorawan');
    const hasAbpKey = v.nwkSKey !== undefined || v.appSKey !== undefined;
    const activation = v.activation ?? (v.appKey !== undefined ? 'otaa' : hasAbpKey || v.devAddr !== undefined ? 'abp' : (v.id !== undefined ? ctx.storedActivation(v.id) : null) ?? 'abp');
    const stored = v.id !== undefined ? ctx.storedActivation(v.id) : null;
    if (activation === 'abp') {
      need('devAddr', 'for ABP');
      if (v.appKey !== undefined) problems.push({ column: 'appKey', problem: 'AppKey is for OTAA; ABP uses NwkSKey and AppSKey' });
      if (hasAbpKey || stored !== 'abp') {
        need('nwkSKey', 'for ABP');
        need('appSKey', 'for ABP');
        if (v.nwkSKey !== undefined && v.appSKey !== undefined) loraKeys = { activation, nwkSKey: v.nwkSKey, appSKey: v.appSKey };
      }
    } else {
      if (hasAbpKey) problems.push({ column: v.nwkSKey !== undefined ? 'nwkSKey' : 'appSKey', problem: 'NwkSKey/AppSKey are for ABP; OTAA uses AppKey' });
      if (v.appKey !== undefined || stored !== 'otaa') {
        need('appKey', 'for OTAA');
        if (v.appKey !== undefined) loraKeys = { activation, appKey: v.appKey };
      }
    }
    if (loraKeys !== null && !ctx.canSealKeys) {
      problems.push({ column: loraKeys.activation === 'abp' ? 'nwkSKey' : 'appKey', problem: 'LoRa keys cannot be stored without a registry key: set TZ_REGISTRY_KEY (openssl rand -hex 32) or TZ_REGISTRY_KEY_FILE' });
    }
    if (v.devEui !== undefined) transport = { kind, devEui: v.devEui, devAddr: v.devAddr ?? null, activation };
  } else if (kind === 'dlt645' || kind === 'cjt188') {
    need('meterAddress', `for ${kind}`);
    const digits = METER_DIGITS[kind];
    const viaLine = v.line !== undefined;
    const viaServer = v.host !== undefined;
    if (v.meterAddress !== undefined && v.meterAddress.length !== digits) problems.push({ column: 'meterAddress', problem: `a ${kind} meter address is ${digits} digits` });
    else if (viaLine === viaServer && !failed.has('line') && !failed.has('host')) problems.push({ column: 'line', problem: `a ${kind} meter is on a serial line (line) or behind a serial server (host, port): one of them` });
    else if (viaServer && v.port === undefined) need('port', 'with host (the serial server\'s TCP port)');
    else if (v.meterAddress !== undefined) transport = { kind, meterAddress: v.meterAddress, line: v.line ?? null, host: v.host ?? null, port: viaServer ? v.port ?? null : null };
  }
  const position = positionOf(v, problems, failed);
  if (problems.length > 0 || (transport === undefined && !transportless)) return { problems };
  const { id, class: deviceClass, gatewayId } = v;
  // `required` above listed a problem for each of these when absent.
  if (id === undefined || deviceClass === undefined || gatewayId === undefined) throw new TzError('TZ_INTERNAL', 'device row passed its checks without id, class or gatewayId');
  return {
    problems,
    draft: {
      id, class: deviceClass, gatewayId, transport: transport ?? null, loraKeys,
      pollIntervalS: v.pollIntervalS ?? null, deadbands: v.deadbands ?? {}, position,
      address: v.address ?? null, district: v.district ?? null, gridCell: v.gridCell ?? null, assetId: v.assetId ?? null,
      vendor: v.vendor ?? null, model: v.model ?? null, serial: v.serial ?? null, firmware: v.firmware ?? null,
      installedOn: v.installedOn ?? null, tags: v.tags ?? [], state: v.state ?? null,
    },
  };
}

/** A stored device as a flat record (no keys): for export, and as the base a patch is laid over. */
export function flattenDevice(d: RegisteredDevice): Record<string, string | number | string[] | Record<string, number> | null> {
  const t = d.transport;
  return {
    id: d.id, class: d.class, gatewayId: d.gatewayId, transport: t?.kind ?? null,
    host: t?.kind === 'modbus-tcp' || t?.kind === 'dlt645' || t?.kind === 'cjt188' ? t.host : null,
    port: t?.kind === 'modbus-tcp' || t?.kind === 'dlt645' || t?.kind === 'cjt188' ? t.port : null,
    unit: t?.kind === 'modbus-tcp' || t?.kind === 'modbus-rtu' ? t.unit : null,
    line: t?.kind === 'modbus-rtu' || t?.kind === 'dlt645' || t?.kind === 'cjt188' ? t.line : null,
    devEui: t?.kind === 'lorawan' ? t.devEui : null,
    devAddr: t?.kind === 'lorawan' ? t.devAddr : null,
    activation: t?.kind === 'lorawan' ? t.activation : null,
    meterAddress: t?.kind === 'dlt645' || t?.kind === 'cjt188' ? t.meterAddress : null,
    pollIntervalS: d.pollIntervalS,
    deadbands: d.deadbands,
    lat: d.position?.lat ?? null, lon: d.position?.lon ?? null, crs: d.position ? 'wgs84' : null,
    address: d.address, district: d.district, gridCell: d.gridCell, assetId: d.assetId,
    vendor: d.vendor, model: d.model, serial: d.serial, firmware: d.firmware, installedOn: d.installedOn,
    state: d.state, tags: d.tags,
  };
}

import type { ProfileCatalogue } from '../../device-profiles/index.ts';
import { gatewayConfigContentHash, ID_PATTERN, type IConfigDevice, type IGatewayConfig } from '../../proto/index.ts';

// Rendering a gateway's device list (from the registry) into the wire
// GatewayConfig (proto/tianzhong/v1/config.proto). The registry store is the
// source of truth; this file only knows the plain shapes below, so it can be
// fed from any store.

export type ConfigTransport =
  | { kind: 'modbus-tcp'; host: string; port: number; unitId: number }
  | { kind: 'modbus-rtu'; line: string; unitId: number }
  | { kind: 'lorawan'; devEui: string; devAddr: string; nwkSKey: string; appSKey: string }
  | { kind: 'dlt645' | 'cjt188'; address: string; line: string | null; host: string | null; port: number | null };

/** One device as the gateway needs it. */
export interface ConfigDevice {
  id: string;
  /** Profile class id, e.g. "smart-pole". */
  profile: string;
  district: string;
  transport: ConfigTransport;
  /** Poll interval (Modbus), ms; absent = the gateway's default. */
  pollIntervalMs?: number;
  /** Deadband overrides, "metric" → absolute amount. */
  deadbands?: Record<string, number>;
  /** Longest silence of a metric under a deadband, s. */
  maxIntervalS?: number;
}

/** The gateway and its gateway-wide defaults. */
export interface ConfigGateway {
  id: string;
  pollIntervalMs?: number;
  deadbands?: Record<string, number>;
}

export interface RenderedConfig {
  /** The message without version and issue time (they are given when it is pushed). */
  config: IGatewayConfig & { contentHash: string };
  /** What is wrong with the device list; a config with problems is not pushed. */
  problems: string[];
}

const HEX = (bytes: number) => new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`);

function transportOf(t: ConfigTransport): Pick<IConfigDevice, 'modbusTcp' | 'modbusRtu' | 'lora' | 'fieldMeter'> {
  if (t.kind === 'modbus-tcp') return { modbusTcp: { host: t.host, port: t.port, unitId: t.unitId } };
  if (t.kind === 'modbus-rtu') return { modbusRtu: { line: t.line, unitId: t.unitId } };
  if (t.kind !== 'lorawan') return { fieldMeter: { protocol: t.kind, address: t.address, line: t.line ?? '', host: t.host ?? '', port: t.port ?? 0 } };
  return { lora: { devEui: t.devEui.toLowerCase(), devAddr: t.devAddr.toLowerCase(), nwkSKey: t.nwkSKey.toLowerCase(), appSKey: t.appSKey.toLowerCase() } };
}

/** Problems of one device against the profiles (the gateway checks again; finding them here keeps a bad config off the air). */
function deviceProblems(d: ConfigDevice, profiles: ProfileCatalogue): string[] {
  const out: string[] = [];
  const where = `device ${d.id}`;
  if (!ID_PATTERN.test(d.id)) out.push(`${where}: id must be letters, digits, _ . - (at most 64)`);
  const profile = profiles.get(d.profile);
  if (!profile) return [...out, `${where}: unknown profile "${d.profile}"`];
  const t = d.transport;
  if ((t.kind === 'modbus-tcp' || t.kind === 'modbus-rtu') && !profile.modbus) out.push(`${where}: profile ${profile.class} has no Modbus register map`);
  if (t.kind === 'lorawan' && !profile.lora) out.push(`${where}: profile ${profile.class} has no LoRa codec`);
  if ((t.kind === 'dlt645' || t.kind === 'cjt188') && !profile[t.kind]) out.push(`${where}: profile ${profile.class} has no ${t.kind} map`);
  if ((t.kind === 'dlt645' || t.kind === 'cjt188') && (!new RegExp(`^\\d{${t.kind === 'dlt645' ? 12 : 14}}$`).test(t.address) || (t.line === null) === (t.host === null))) {
    out.push(`${where}: ${t.kind} needs its printed address (${t.kind === 'dlt645' ? 12 : 14} digits) and either a serial line or a serial server host`);
  }
  if (t.kind === 'modbus-tcp' && (!(t.port >= 1 && t.port <= 65535) || !(t.unitId >= 0 && t.unitId <= 255))) out.push(`${where}: Modbus TCP port 1–65535, unit 0–255`);
  if (t.kind === 'modbus-rtu' && !(t.unitId >= 1 && t.unitId <= 247)) out.push(`${where}: Modbus RTU unit 1–247`);
  if (t.kind === 'lorawan' && !(HEX(8).test(t.devEui) && HEX(4).test(t.devAddr) && HEX(16).test(t.nwkSKey) && HEX(16).test(t.appSKey))) out.push(`${where}: LoRaWAN devEui 8, devAddr 4, keys 16 bytes of hex`);
  if (d.pollIntervalMs !== undefined && !(Number.isInteger(d.pollIntervalMs) && d.pollIntervalMs >= 100)) out.push(`${where}: pollIntervalMs must be a whole number ≥ 100`);
  const metrics = new Set(profile.metrics.map((m) => m.name));
  for (const metric of Object.keys(d.deadbands ?? {})) if (!metrics.has(metric)) out.push(`${where}: deadband for "${metric}", which profile ${profile.class} does not have`);
  return out;
}

/**
 * The GatewayConfig content for a gateway's devices, sorted by device id so
 * that the same list always renders to the same content hash.
 */
export function renderGatewayConfig(gateway: ConfigGateway, devices: readonly ConfigDevice[], profiles: ProfileCatalogue): RenderedConfig {
  const problems: string[] = [];
  const seen = new Set<string>();
  const addrs = new Set<string>();
  for (const d of devices) {
    if (seen.has(d.id)) problems.push(`device ${d.id}: listed twice`);
    seen.add(d.id);
    if (d.transport.kind === 'lorawan') {
      const a = d.transport.devAddr.toLowerCase();
      if (addrs.has(a)) problems.push(`device ${d.id}: DevAddr ${a} already used on this gateway`);
      addrs.add(a);
    }
    problems.push(...deviceProblems(d, profiles));
  }
  const sorted = [...devices].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const content: IGatewayConfig = {
    gatewayId: gateway.id,
    pollIntervalMs: gateway.pollIntervalMs ?? 0,
    deadbands: { ...(gateway.deadbands ?? {}) },
    devices: sorted.map((d) => ({
      deviceId: d.id, profile: d.profile, district: d.district, ...transportOf(d.transport),
      pollIntervalMs: d.pollIntervalMs ?? 0, deadbands: { ...(d.deadbands ?? {}) }, maxIntervalS: d.maxIntervalS ?? 0,
    })),
  };
  return { config: { ...content, contentHash: gatewayConfigContentHash(content) }, problems };
}

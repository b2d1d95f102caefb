import type { DeviceProfile, Values } from '../../device-profiles/index.ts';
import { Backoff, TzError, type Clock, type Logger } from '../../service-kit/index.ts';
import type { EdgeAgentConfig, EdgeDeviceConfig } from '../config.ts';
import type { Transport } from '../device-health.ts';
import type { EdgeMetrics } from '../metrics.ts';
import type { PollOutcome } from '../modbus-bus.ts';
import { cjt188Protocol } from './cjt188.ts';
import { dlt645Protocol } from './dlt645.ts';
import type { FieldDeviceConfig, FieldProtocol } from './field-config.ts';
import { Hj212Server, type PushingStation } from './hj212-server.ts';
import { MeterLine, type MeteredDevice, type MeterProtocol } from './meter-line.ts';

// The China field-protocol drivers, registered by protocol: the agent hands
// each one its devices and gets back things to start and stop. Whatever a
// driver reads goes to the agent's onPoll / onPush, the same path Modbus
// polls and LoRa uplinks take (report filter → Reading → UplinkBatch).

export interface FieldDriver {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface FieldEntry {
  /** Position in config.devices (first polls are spread by it). */
  index: number;
  device: EdgeDeviceConfig;
  profile: DeviceProfile;
  field: FieldDeviceConfig;
}

export interface FieldDriverContext {
  config: EdgeAgentConfig;
  metrics: EdgeMetrics;
  log: Logger;
  clock: Clock;
  onPoll: (device: MeteredDevice, outcome: PollOutcome) => void;
  onPush: (station: PushingStation, at: number, values: Values) => void;
}

export interface FieldInputs {
  drivers: FieldDriver[];
  /** Devices that report on their own (silence → offline, like LoRa). */
  pushed: PushingStation[];
}

/** `previous`: the running drivers (reload); a builder may keep one instead of making a new one. */
type FieldDriverBuilder = (entries: FieldEntry[], ctx: FieldDriverContext, previous: readonly FieldDriver[]) => FieldInputs;

/** Polled meters grouped by line (serial port or transparent server): one master per line. */
const meterLines = (protocol: MeterProtocol): FieldDriverBuilder => (entries, ctx) => {
  const c = ctx.config;
  const lines = new Map<string, { endpoint: ConstructorParameters<typeof MeterLine>[1]['endpoint']; devices: MeteredDevice[] }>();
  const now = ctx.clock.now();
  for (const e of entries) {
    const f = e.field;
    if (f.transport === 'hj212') continue;
    // The config check (fieldConfigProblems) requires a known serial line or host+port, so a gap here is a bug.
    let endpoint: { kind: 'serial'; line: EdgeAgentConfig['serialLines'][number] } | { kind: 'tcp'; host: string; port: number };
    if (f.line !== undefined) {
      const line = c.serialLines.find((l) => l.name === f.line);
      if (!line) throw new TzError('TZ_INTERNAL', `meter ${e.device.deviceId}: serial line ${f.line} is not configured`);
      endpoint = { kind: 'serial', line };
    } else {
      if (f.host === undefined || f.port === undefined) throw new TzError('TZ_INTERNAL', `meter ${e.device.deviceId}: neither a serial line nor host and port`);
      endpoint = { kind: 'tcp', host: f.host, port: f.port };
    }
    const key = endpoint.kind === 'tcp' ? `tcp:${endpoint.host}:${endpoint.port}` : `serial:${endpoint.line.path}`;
    const intervalMs = e.device.pollIntervalMs ?? c.pollIntervalMs;
    const line = lines.get(key) ?? { endpoint, devices: [] };
    line.devices.push({
      config: e.device, profile: e.profile, address: f.address, intervalMs, failures: 0,
      nextDueAt: now + Math.floor((e.index * intervalMs) / c.devices.length),
      backoff: new Backoff(intervalMs, Math.max(intervalMs, c.maxDeviceBackoffMs)),
    });
    lines.set(key, line);
  }
  const drivers = [...lines.values()].map(({ endpoint, devices }) => new MeterLine(devices, {
    endpoint, protocol, requestTimeoutMs: c.fieldProtocols.requestTimeoutMs, interFrameDelayMs: c.fieldProtocols.interFrameDelayMs,
    retries: c.retries, offlineAfterFailures: c.offlineAfterFailures, metrics: ctx.metrics, log: ctx.log, onPoll: ctx.onPoll,
    clock: ctx.clock, maxLinkBackoffMs: c.maxDeviceBackoffMs,
  }));
  return { drivers, pushed: [] };
};

/** One server for all stations; a reload with the same server settings keeps it (and the stations' connections). */
const hj212Server: FieldDriverBuilder = (entries, ctx, previous) => {
  const stations: PushingStation[] = entries.flatMap((e) => (e.field.transport === 'hj212' ? [{ config: e.device, profile: e.profile, mn: e.field.mn, ...(e.field.password === undefined ? {} : { password: e.field.password }) }] : []));
  if (stations.length === 0) return { drivers: [], pushed: [] };
  const settings = ctx.config.fieldProtocols.hj212;
  const kept = previous.find((d): d is Hj212Server => d instanceof Hj212Server && JSON.stringify(d.settings) === JSON.stringify(settings));
  if (kept) {
    kept.prepare(stations);
    return { drivers: [kept], pushed: stations };
  }
  return { drivers: [new Hj212Server(stations, { settings, metrics: ctx.metrics, log: ctx.log, clock: ctx.clock, onPush: ctx.onPush })], pushed: stations };
};

/** Protocol → the profile section it needs and the driver that serves it: the whole registry. */
export const FIELD_DRIVERS: Readonly<Record<FieldProtocol, { section: 'cjt188' | 'dlt645' | 'hj212'; transport: Transport; build: FieldDriverBuilder }>> = {
  cjt188: { section: 'cjt188', transport: 'cjt188', build: meterLines(cjt188Protocol) },
  dlt645: { section: 'dlt645', transport: 'dlt645', build: meterLines(dlt645Protocol) },
  hj212: { section: 'hj212', transport: 'hj212', build: hj212Server },
};

/** Builds every field driver for a config's field devices; problems name the device. */
export function buildFieldInputs(entries: FieldEntry[], ctx: FieldDriverContext, previous: readonly FieldDriver[] = []): FieldInputs & { problems: string[] } {
  const problems: string[] = [];
  const byProtocol = new Map<FieldProtocol, FieldEntry[]>();
  for (const e of entries) {
    const { section } = FIELD_DRIVERS[e.field.transport];
    if (!e.profile[section]) {
      problems.push(`devices.${e.index} (${e.device.deviceId}): profile "${e.profile.class}" has no \`${section}\` section`);
      continue;
    }
    byProtocol.set(e.field.transport, [...(byProtocol.get(e.field.transport) ?? []), e]);
  }
  const out: FieldInputs = { drivers: [], pushed: [] };
  for (const [protocol, list] of byProtocol) {
    const built = FIELD_DRIVERS[protocol].build(list, ctx, previous);
    out.drivers.push(...built.drivers);
    out.pushed.push(...built.pushed);
  }
  return { ...out, problems };
}

export { Hj212Server, type PushingStation } from './hj212-server.ts';
export type { MeteredDevice } from './meter-line.ts';
export { fieldDeviceSchema, fieldProtocolsSchema, type FieldDeviceConfig, type FieldProtocol, type FieldProtocolsConfig } from './field-config.ts';

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ID_PATTERN } from '../proto/index.ts';
import { TzError, formatProblems, toError, zodProblems } from '../service-kit/index.ts';
import { fieldConfigProblems, fieldDeviceSchema, fieldProtocolsSchema } from './drivers/field-config.ts';

// The agent's configuration: one YAML file per gateway, parsed once at start
// (and again on SIGHUP), every default defined here and nowhere else. Unknown
// keys are errors (a typo must not go unnoticed). `tianzhong edge-agent
// config-template` prints a commented example (config-template.ts).

const id = z.string().regex(ID_PATTERN, 'letters, digits, "_", "." or "-", at most 64, no MQTT wildcards');
const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`), `${bytes} bytes as ${bytes * 2} hex digits`);

/** Report strategy: a metric with a deadband is sent when it moved more than that, and at least every maxIntervalS. */
const reportSchema = z.strictObject({
  /** Absolute deadband per metric: "metric" or "profile.metric" → amount. Metrics without one are sent on every poll. */
  deadbands: z.record(z.string().min(1), z.number().min(0)).default({}),
  /** A metric under a deadband is still sent at least this often. */
  maxIntervalS: z.number().int().min(1).default(300),
});

const modbusTcpSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  /** Modbus serial line address behind the TCP gateway, 1–247 (255 for a plain TCP device). */
  unitId: z.number().int().min(0).max(255),
});

const modbusRtuSchema = z.strictObject({
  /** Name of an entry in `serialLines`. */
  line: z.string().min(1),
  unitId: z.number().int().min(1).max(247),
});

/** LoRaWAN device class: A listens only after its own uplink; C listens all the time on RX2 (valves that must close now). */
const loraClass = z.enum(['A', 'C']).default('A');

const loraAbpSchema = z.strictObject({
  /** ABP device address, 4 bytes hex (as printed, MSB first). */
  devAddr: hex(4),
  nwkSKey: hex(16),
  appSKey: hex(16),
  class: loraClass,
});

/** Over-the-air activation (LoRaWAN 1.0.x §6.2): the device joins with these root keys; the session is made by the agent. */
const loraOtaaSchema = z.strictObject({
  devEui: hex(8),
  /** AppEUI in LoRaWAN 1.0.0–1.0.3, JoinEUI from 1.0.4. */
  joinEui: hex(8),
  appKey: hex(16),
  class: loraClass,
});

const loraDeviceSchema = z.union([loraAbpSchema, loraOtaaSchema]);

const deviceSchema = z.strictObject({
  deviceId: id,
  /** Device class id of a profile in the catalogue, e.g. "manhole-cover". */
  profile: z.string().min(1),
  /** Administrative district (a low-cardinality tag). */
  district: z.string().min(1),
  /** Modbus TCP ({host, port, unitId}) or RTU over a serial line ({line, unitId}). */
  modbus: z.union([modbusTcpSchema, modbusRtuSchema]).optional(),
  lora: loraDeviceSchema.optional(),
  /** China field protocols: {transport: cjt188 | dlt645, address, line | host+port} or {transport: hj212, mn, password?}. */
  field: fieldDeviceSchema.optional(),
  /** Overrides the agent's pollIntervalMs for this device (Modbus). */
  pollIntervalMs: z.number().int().min(100).optional(),
  /** Overrides the gateway-wide report strategy for this device. */
  report: reportSchema.partial().optional(),
});

const serialLineSchema = z.strictObject({
  name: z.string().min(1),
  /** Serial device, e.g. /dev/ttyUSB0 (an RS-485 adapter). */
  path: z.string().min(1),
  baudRate: z.number().int().min(300).max(921_600).default(9600),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  /** Silence between frames; default 3.5 character times (Modbus over Serial Line v1.02 §2.5.1.1), at least 2 ms. */
  interFrameDelayMs: z.number().min(0).optional(),
});

export const edgeAgentConfigSchema = z.strictObject({
  gatewayId: id,
  /** mqtt://, mqtts://, ws:// or wss:// URL of the broker. */
  brokerUrl: z.string().regex(/^(mqtts?|wss?|tcp|tls):\/\/.+/, 'must be an mqtt://, mqtts://, ws:// or wss:// URL'),
  /** Per-gateway credentials; there is no default on purpose. */
  username: z.string().min(1),
  password: z.string().min(1),
  /** Folder for the gateway database (queue, counters, command log); must survive reboots. */
  dataDir: z.string().min(1),
  /** Local devices; optional when the centre's registry pushes the device list (remote-config.ts). */
  devices: z.array(deviceSchema).superRefine((devices, ctx) => {
    const seen = new Set<string>();
    const addrs = new Set<string>();
    devices.forEach((d, i) => {
      if (seen.has(d.deviceId)) ctx.addIssue({ code: 'custom', path: [i, 'deviceId'], message: `duplicate device id "${d.deviceId}"` });
      seen.add(d.deviceId);
      if ([d.modbus, d.lora, d.field].filter(Boolean).length !== 1) ctx.addIssue({ code: 'custom', path: [i], message: 'a device needs exactly one of `modbus`, `lora` or `field`' });
      if (d.lora && 'devEui' in d.lora) {
        const e = `eui:${d.lora.devEui.toLowerCase()}`;
        if (addrs.has(e)) ctx.addIssue({ code: 'custom', path: [i, 'lora', 'devEui'], message: `duplicate devEui ${d.lora.devEui}` });
        addrs.add(e);
      } else if (d.lora) {
        const a = d.lora.devAddr.toLowerCase();
        if (addrs.has(a)) ctx.addIssue({ code: 'custom', path: [i, 'lora', 'devAddr'], message: `duplicate devAddr ${d.lora.devAddr}` });
        addrs.add(a);
      }
    });
  }).default([]),
  serialLines: z.array(serialLineSchema).default([]),
  pollIntervalMs: z.number().int().min(100).default(5000),
  /** Modbus response timeout per request; modbus-serial has none by default. */
  requestTimeoutMs: z.number().int().min(10).default(1000),
  /** Extra attempts of a timed-out request while the device is online (none while it is failing). */
  retries: z.number().int().min(0).max(5).default(1),
  /** Consecutive failed polls before a device is reported OFFLINE. */
  offlineAfterFailures: z.number().int().min(1).default(3),
  /** A failing device is polled again after a backoff growing up to this (the rest of the bus is not held up). */
  maxDeviceBackoffMs: z.number().int().min(100).default(60_000),
  report: reportSchema.prefault({}),
  /** Send metric names instead of the compact profile index (for receivers older than MetricValue.index). */
  sendMetricNames: z.boolean().default(false),
  batch: z.strictObject({
    maxReadings: z.number().int().min(1).default(500),
    maxDelayMs: z.number().int().min(1).default(1000),
  }).prefault({}),
  queue: z.strictObject({
    /** Bound of the disk queue; above it the oldest batches are dropped (counted in tz_edge_readings_dropped_total). */
    maxBytes: z.number().int().min(1024).default(256 * 1024 * 1024),
    /** Batches published at once waiting for PUBACK. */
    maxInFlight: z.number().int().min(1).max(1000).default(16),
    /** Backlog replay after a reconnect, readings per second; live data is sent alongside, not behind it. */
    replayReadingsPerSecond: z.number().int().min(1).default(5000),
  }).prefault({}),
  lora: z.strictObject({
    /** UDP address Semtech packet forwarders send to (their server_address / serv_port_up). */
    host: z.string().min(1).default('0.0.0.0'),
    port: z.number().int().min(0).max(65535).default(1700),
    /** Copies of one frame from several forwarders within this window count as one. */
    dedupWindowMs: z.number().int().min(0).default(2000),
    /** LoRaWAN MAX_FCNT_GAP: a counter further ahead than this is refused (LoRaWAN 1.0.2 §4.3.1.5). */
    maxFcntGap: z.number().int().min(1).default(16_384),
    /** RX1 delay for class A downlinks, µs after the uplink (LoRaWAN RECEIVE_DELAY1). */
    rx1DelayUs: z.number().int().min(0).default(1_000_000),
    /** Codec time limit per call. */
    codecTimeoutMs: z.number().int().min(1).default(100),
    codecMemoryBytes: z.number().int().min(256 * 1024).default(8 * 1024 * 1024),
    /** NetID answered in JoinAccepts, 3 bytes hex; its 7 LSBs start every DevAddr handed out (§6.1.1). 000000 = experimental. */
    netId: hex(3).default('000000'),
    /** JOIN_ACCEPT_DELAY1: a JoinAccept goes out this long after the JoinRequest, µs (§7 regional parameters: 5 s). */
    joinAcceptDelayUs: z.number().int().min(0).default(5_000_000),
    /** RX2 for class C downlinks (sent at once): frequency and data rate; defaults are CN470-510 (China). */
    rx2FrequencyMHz: z.number().min(100).max(1000).default(505.3),
    rx2DataRate: z.string().regex(/^SF([7-9]|1[0-2])BW(125|250|500)$/).default('SF12BW125'),
    /** Frames one device may have accepted per minute; above it they are refused (counted as `flood`) so others are not starved. */
    maxFramesPerDevicePerMinute: z.number().int().min(1).default(120),
  }).prefault({}),
  /** Accept the device list pushed by the centre on down/config (remote-config.ts); false = this YAML only. */
  remoteConfig: z.boolean().default(true),
  /** CJ/T 188 and DL/T 645 meter lines, the HJ 212 station server (edge-agent/drivers/field-config.ts). */
  fieldProtocols: fieldProtocolsSchema,
  /** A command without expiresAtMs times out after this (class A LoRa downlinks wait for the next uplink). */
  commandTimeoutMs: z.number().int().min(100).default(120_000),
  /** Gateway status (retained) is published this often and on every change of connection. */
  statusIntervalMs: z.number().int().min(100).default(30_000),
  http: z.strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(0),
  }).prefault({}),
}).superRefine((c, ctx) => {
  const lines = new Set(c.serialLines.map((l) => l.name));
  c.devices.forEach((d, i) => {
    if (d.modbus && 'line' in d.modbus && !lines.has(d.modbus.line)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'modbus', 'line'], message: `unknown serial line "${d.modbus.line}"; serialLines has: ${[...lines].join(', ') || 'none'}` });
  });
  for (const p of fieldConfigProblems(c.devices, lines)) ctx.addIssue({ code: 'custom', ...p });
});

export type EdgeAgentConfig = z.output<typeof edgeAgentConfigSchema>;
export type EdgeDeviceConfig = EdgeAgentConfig['devices'][number];
export type SerialLineConfig = EdgeAgentConfig['serialLines'][number];
export type ReportConfig = EdgeAgentConfig['report'];
export type EdgeAgentConfigInput = z.input<typeof edgeAgentConfigSchema>;

/** Validates a raw config object; errors name the source, the path and the problem. */
export function parseEdgeAgentConfig(raw: unknown, source: string): EdgeAgentConfig {
  const result = edgeAgentConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = zodProblems(result.error);
  throw new TzError('TZ_CONFIG_INVALID', formatProblems(problems, source), { details: { source, problems } });
}

/** Reads and validates a YAML config file; `password` may come from `env` (TZ_GATEWAY_PASSWORD) when the file has none. */
export function loadEdgeAgentConfig(file: string, env: Record<string, string | undefined> = {}): EdgeAgentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TzError('TZ_CONFIG_INVALID', `${file}: cannot read: ${toError(err).message}`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new TzError('TZ_CONFIG_INVALID', `${file}: not valid YAML: ${toError(err).message}`, { cause: err });
  }
  if (raw && typeof raw === 'object' && !('password' in raw) && env.TZ_GATEWAY_PASSWORD) (raw as Record<string, unknown>).password = env.TZ_GATEWAY_PASSWORD;
  return parseEdgeAgentConfig(raw, file);
}

/**
 * Settings that are valid but will hurt. A dead slave costs its bus
 * requestTimeoutMs × (1 + retries) per poll; once that reaches a device's
 * poll interval, one dead slave delays its live neighbours.
 */
export function configWarnings(c: EdgeAgentConfig): string[] {
  const warnings: string[] = [];
  const worstCaseMs = c.requestTimeoutMs * (1 + c.retries);
  const intervals = c.devices.filter((d) => d.modbus).map((d) => d.pollIntervalMs ?? c.pollIntervalMs);
  const shortest = intervals.length > 0 ? Math.min(...intervals) : c.pollIntervalMs;
  if (worstCaseMs >= shortest) {
    warnings.push(`requestTimeoutMs × (1 + retries) = ${worstCaseMs} ms reaches the shortest poll interval (${shortest} ms): a slave that stops answering will delay its neighbours on the same bus; lower requestTimeoutMs or retries, or poll less often`);
  }
  return warnings;
}

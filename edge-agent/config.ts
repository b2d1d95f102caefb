import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ID_PATTERN } from '../proto/index.ts';
import { TzError, toError } from '../service-kit/index.ts';

// The agent's configuration: parsed once at start, every default defined here
// and nowhere else. Unknown keys are errors (a typo must not go unnoticed).

const id = z.string().regex(ID_PATTERN, 'letters, digits, "_", "." or "-", at most 64, no MQTT wildcards');

const deviceSchema = z.strictObject({
  deviceId: id,
  /** Device class id of a profile in the catalogue, e.g. "manhole-cover". */
  profile: z.string().min(1),
  /** Administrative district (a low-cardinality tag). */
  district: z.string().min(1),
  modbus: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    /** Modbus serial line address behind the TCP gateway, 1–247 (255 for a plain TCP device). */
    unitId: z.number().int().min(0).max(255),
  }),
  /** Overrides the agent's pollIntervalMs for this device. */
  pollIntervalMs: z.number().int().min(100).optional(),
});

export const edgeAgentConfigSchema = z.strictObject({
  gatewayId: id,
  /** mqtt://, mqtts://, ws:// or wss:// URL of the broker. */
  brokerUrl: z.string().regex(/^(mqtts?|wss?|tcp|tls):\/\/.+/, 'must be an mqtt://, mqtts://, ws:// or wss:// URL'),
  /** Per-gateway credentials; there is no default on purpose. */
  username: z.string().min(1),
  password: z.string().min(1),
  devices: z.array(deviceSchema).min(1).superRefine((devices, ctx) => {
    const seen = new Set<string>();
    devices.forEach((d, i) => {
      if (seen.has(d.deviceId)) ctx.addIssue({ code: 'custom', path: [i, 'deviceId'], message: `duplicate device id "${d.deviceId}"` });
      seen.add(d.deviceId);
    });
  }),
  pollIntervalMs: z.number().int().min(100).default(5000),
  /** Modbus response timeout; modbus-serial has none by default. */
  requestTimeoutMs: z.number().int().min(10).default(1000),
  /** Consecutive failed polls before a device is reported OFFLINE. */
  offlineAfterFailures: z.number().int().min(1).default(3),
  batch: z.strictObject({
    maxReadings: z.number().int().min(1).default(500),
    maxDelayMs: z.number().int().min(1).default(1000),
  }).prefault({}),
  /** In-memory bound until the disk queue exists; overflow drops the oldest readings (counted). */
  maxQueuedReadings: z.number().int().min(1).default(100_000),
  http: z.strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(0),
  }).prefault({}),
});

export interface EdgeDeviceConfig { deviceId: string; profile: string; district: string; modbus: { host: string; port: number; unitId: number }; pollIntervalMs?: number }
export interface EdgeAgentConfig {
  gatewayId: string; brokerUrl: string; username: string; password: string;
  devices: EdgeDeviceConfig[];
  pollIntervalMs: number;
  requestTimeoutMs: number;
  offlineAfterFailures: number;
  batch: { maxReadings: number; maxDelayMs: number };
  maxQueuedReadings: number;
  http: { host: string; port: number };
}

// The interface above is the documented shape; this line keeps it equal to the schema.
const sameShape: (c: z.output<typeof edgeAgentConfigSchema>) => EdgeAgentConfig = (c) => c;
void sameShape;

/** Validates a raw config object; errors name the source, the path and the problem. */
export function parseEdgeAgentConfig(raw: unknown, source: string): EdgeAgentConfig {
  const result = edgeAgentConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  throw new TzError('TZ_CONFIG_INVALID', `${source}: ${problems.join('; ')}`, { details: { source, problems } });
}

/** Reads and validates a YAML config file. */
export function loadEdgeAgentConfig(file: string): EdgeAgentConfig {
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
  return parseEdgeAgentConfig(raw, file);
}

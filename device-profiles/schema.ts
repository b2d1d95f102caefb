import { z } from 'zod';
import { ruleSchema } from './rule-schema.ts';

// The device profile: one YAML file per device class. Adding a device class
// is adding a profile, never code. Every key is documented in README.md.

const name = z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'use lower_snake_case, starting with a letter, at most 48 characters');

export const metricSchema = z.strictObject({
  name,
  unit: z.string().max(16).default(''),
  /** number: scaled float; integer: exact counter; boolean: on/off state. */
  type: z.enum(['number', 'integer', 'boolean']),
  min: z.number().optional(),
  max: z.number().optional(),
  description: z.string().default(''),
});

export const registerTypes = ['bool', 'uint16', 'int16', 'uint32', 'int32', 'float32'] as const;

export const registerSchema = z.strictObject({
  metric: name,
  /** Modbus data table: coils (FC1), discrete inputs (FC2), holding (FC3), input registers (FC4). */
  table: z.enum(['coil', 'discrete', 'holding', 'input']),
  address: z.number().int().min(0).max(65535),
  type: z.enum(registerTypes),
  /** For 32-bit types: `big` = high word first (Modbus convention), `little` = low word first. */
  wordOrder: z.enum(['big', 'little']).default('big'),
  scale: z.number().refine((v) => v !== 0, 'scale must not be 0').default(1),
  offset: z.number().default(0),
});

export const modbusSchema = z.strictObject({
  registers: z.array(registerSchema).min(1),
});

export const loraSchema = z.strictObject({
  /** Codec file (TTN/ChirpStack `decodeUplink(input)` signature), relative to the profile file. */
  codec: z.string().min(1),
  fPort: z.number().int().min(1).max(223).optional(),
});

/** Devices that connect by themselves and send JSON (MQTT or HTTP): `decodeJson({payload, topic})`, relative to the profile file. */
export const jsonTransportSchema = z.strictObject({
  codec: z.string().min(1),
});

// The rule language lives in rule-schema.ts (owned with the rules engine).
export { conditionSchema, ruleSchema, type Condition, type RuleSpec } from './rule-schema.ts';

export const commandParamSchema = z.strictObject({
  name,
  type: z.enum(['number', 'integer', 'boolean']),
  min: z.number().optional(),
  max: z.number().optional(),
});

export const commandSchema = z.strictObject({
  name,
  description: z.string().default(''),
  params: z.array(commandParamSchema).default([]),
  /** Which register each parameter is written to (by the edge agent). */
  writes: z.array(z.strictObject({ param: name, metric: name })).default([]),
});

export const profileSchema = z.strictObject({
  /** Device class id, e.g. `manhole-cover`; the `profile` field of every Reading. */
  class: z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, 'use lower-kebab-case'),
  version: z.number().int().min(1),
  title: z.string().min(1),
  /** InfluxDB measurement the readings land in. */
  measurement: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'use lower_snake_case'),
  /** How often a healthy device reports; drives no-data detection. */
  reportIntervalSeconds: z.number().int().min(1),
  metrics: z.array(metricSchema).min(1),
  modbus: modbusSchema.optional(),
  lora: loraSchema.optional(),
  json: jsonTransportSchema.optional(),
  commands: z.array(commandSchema).default([]),
  rules: z.array(ruleSchema).default([]),
});

export type DeviceProfile = z.infer<typeof profileSchema>;
export type MetricSpec = z.infer<typeof metricSchema>;
export type RegisterSpec = z.infer<typeof registerSchema>;
export type CommandSpec = z.infer<typeof commandSchema>;

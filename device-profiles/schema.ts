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
  /** China field protocols (declared below): CJ/T 188 meters, DL/T 645 meters, HJ 212 stations. */
  cjt188: z.lazy(() => cjt188Schema).optional(),
  dlt645: z.lazy(() => dlt645Schema).optional(),
  hj212: z.lazy(() => hj212Schema).optional(),
  json: jsonTransportSchema.optional(),
  commands: z.array(commandSchema).default([]),
  rules: z.array(ruleSchema).default([]),
});

export type DeviceProfile = z.infer<typeof profileSchema>;
export type MetricSpec = z.infer<typeof metricSchema>;
export type RegisterSpec = z.infer<typeof registerSchema>;
export type CommandSpec = z.infer<typeof commandSchema>;

// --- China field protocols (issue 19): which data identifier or pollutant code carries which metric. ---

const hexDigits = (n: number) => z.string().regex(new RegExp(`^[0-9A-Fa-f]{${n}}$`), `${n} hex digits as written in the standard`);

export const cjt188FieldSchema = z.strictObject({
  metric: name,
  /** Byte offset in the reply's values, counted after DI0 DI1 SER. */
  offset: z.number().int().min(0).max(99),
  /** BCD bytes (least significant first); ignored for a `bit` field. */
  length: z.number().int().min(1).max(8).default(1),
  /** Implied decimals, e.g. 2 for XXXXXX.XX. */
  decimals: z.number().int().min(0).max(8).default(0),
  /** Offset of the unit code (CJ/T 188-2004 Appendix, e.g. 2Ch m³) that qualifies this value; converted to the metric's unit. */
  unitOffset: z.number().int().min(0).max(99).optional(),
  /** A boolean metric from one bit of the byte at `offset` (status word ST). */
  bit: z.number().int().min(0).max(7).optional(),
  invert: z.boolean().default(false),
});

export const cjt188Schema = z.strictObject({
  /** Meter type T, CJ/T 188-2004 Table 1: 16 (10h) cold water, 17 (11h) hot water, 32 (20h) heat, 48 (30h) gas. */
  meterType: z.number().int().min(0).max(255),
  reads: z.array(z.strictObject({
    /** Data identifier as written in the standard, e.g. "901F" (current cumulative flow). */
    di: hexDigits(4),
    fields: z.array(cjt188FieldSchema).min(1),
  })).min(1),
});

export const dlt645Schema = z.strictObject({
  reads: z.array(z.strictObject({
    metric: name,
    /** DI3 DI2 DI1 DI0 as written in DL/T 645-2007 Appendix A, e.g. "02010100" (phase A voltage). */
    di: hexDigits(8),
    /** Appendix A data format, e.g. "XXXXXX.XX": one X per BCD digit. */
    format: z.string().regex(/^X{1,16}(\.X{1,8})?$/, 'an Appendix A format like XXXXXX.XX'),
    /** The top bit of the most significant byte is the sign (currents, powers). */
    signed: z.boolean().default(false),
    /** Factor applied after decoding (e.g. 1000 for kW → W). */
    scale: z.number().refine((v) => v !== 0, 'scale must not be 0').default(1),
  })).min(1),
});

export const hj212Schema = z.strictObject({
  /** System code ST, HJ 212-2017 Table 2 (22 ambient air quality, 23 noise, 31 air emission source, 32 surface water). */
  st: z.string().regex(/^\d{2}$/, 'two digits'),
  /** Commands whose data become readings: 2011 real-time values (-Rtd), 2051 minute / 2061 hour averages (-Avg). */
  cn: z.array(z.enum(['2011', '2051', '2061'])).min(1).default(['2011']),
  /** Pollutant / parameter code (HJ 212-2017 Appendix B) per metric, e.g. a34004 PM2.5, LA noise. */
  pollutants: z.array(z.strictObject({ metric: name, code: z.string().regex(/^[A-Za-z0-9]{1,12}$/, 'letters and digits, at most 12') })).min(1),
});

export type Cjt188Spec = z.infer<typeof cjt188Schema>;
export type Dlt645Spec = z.infer<typeof dlt645Schema>;
export type Hj212Spec = z.infer<typeof hj212Schema>;

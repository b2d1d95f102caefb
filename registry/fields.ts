import { z } from 'zod';
import { ID_PATTERN } from '../proto/index.ts';
import { COORDINATE_SYSTEMS, toWgs84, type CoordinateSystem } from './position.ts';
import type { Position } from './model.ts';

// One flat record per device / asset / gateway: the CSV columns, the GeoJSON
// properties and the JSON body of the API are the same keys, checked by the
// same zod field schemas, so a problem always names the column it is in.

/** One problem with one field of one record. */
export interface FieldProblem {
  column: string;
  problem: string;
}

/** '' and null mean "not given" (an empty CSV cell); text is trimmed. */
function blank(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }
  return value;
}

function numeric(value: unknown): unknown {
  const v = blank(value);
  if (typeof v !== 'string') return v;
  const n = Number(v);
  return Number.isNaN(n) ? v : n;
}

// A bulk import runs every cell of 100,000 rows through these schemas. The
// common case — a well-formed cell — takes a plain check that gives exactly
// what the schema would; anything the plain check is unsure of (every
// failure) goes through zod, so problems keep zod's one wording.
const UNSURE = Symbol('unsure');
const TAG = /^[\p{L}\p{N}_.:=-]{1,64}$/u;
type PlainCheck = (value: unknown) => unknown;
const PLAIN = new WeakMap<z.ZodType, PlainCheck>();
function withPlainCheck<T extends z.ZodType>(schema: T, check: PlainCheck): T {
  PLAIN.set(schema, check);
  return schema;
}
const plainText = (ok: (s: string) => boolean, map: (s: string) => unknown = (s) => s): PlainCheck => (value) => {
  if (typeof value !== 'string') return UNSURE;
  const s = value.trim();
  if (s === '') return undefined;
  return ok(s) ? map(s) : UNSURE;
};
const plainNumber = (ok: (n: number) => boolean): PlainCheck => (value) => {
  const v = typeof value === 'string' ? value.trim() : value;
  if (v === '') return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && ok(n) ? n : UNSURE;
};

export const field = {
  id: () => withPlainCheck(z.preprocess(blank, z.string({ error: 'must be text' }).regex(ID_PATTERN, 'must be 1–64 letters, digits, _ . - starting with a letter or digit').optional()),
    plainText((s) => ID_PATTERN.test(s))),
  text: (max: number) => withPlainCheck(z.preprocess(blank, z.string({ error: 'must be text' }).max(max, `longer than ${max} characters`).optional()),
    plainText((s) => s.length <= max)),
  pattern: (pattern: RegExp, what: string) => withPlainCheck(z.preprocess(blank, z.string({ error: 'must be text' }).regex(pattern, what).optional()),
    plainText((s) => !pattern.global && !pattern.sticky && pattern.test(s))),
  hex: (digits: number) => {
    const shape = new RegExp(`^[0-9A-Fa-f]{${digits}}$`);
    return withPlainCheck(z.preprocess(blank, z.string({ error: 'must be text' }).regex(shape, `must be ${digits} hex digits`).transform((s) => s.toUpperCase()).optional()),
      plainText((s) => shape.test(s), (s) => s.toUpperCase()));
  },
  int: (min: number, max: number) => withPlainCheck(z.preprocess(numeric, z.number({ error: 'not a number' }).int('not a whole number').min(min, `below ${min}`).max(max, `above ${max}`).optional()),
    plainNumber((n) => Number.isInteger(n) && n >= min && n <= max)),
  number: (min: number, max: number) => withPlainCheck(z.preprocess(numeric, z.number({ error: 'not a number' }).min(min, `below ${min}`).max(max, `above ${max}`).optional()),
    plainNumber((n) => n >= min && n <= max)),
  oneOf: <const T extends readonly [string, ...string[]]>(values: T) => withPlainCheck(z.preprocess(blank, z.enum(values, { error: `must be one of ${values.join(', ')}` }).optional()),
    plainText((s) => (values as readonly string[]).includes(s))),
  boolean: () => z.preprocess((v) => {
    const b = blank(v);
    if (typeof b !== 'string') return b;
    const lower = b.toLowerCase();
    return ['true', 'yes', '1', 'on'].includes(lower) ? true : ['false', 'no', '0', 'off'].includes(lower) ? false : b;
  }, z.boolean({ error: 'must be true or false' }).optional()),
  date: () => z.preprocess(blank, z.string({ error: 'must be text' }).regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
    .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'not a calendar date').optional()),
  /** `a;b;c` in CSV, a list in JSON. */
  tags: () => withPlainCheck(z.preprocess((v) => {
    const b = blank(v);
    return typeof b === 'string' ? b.split(';').map((t) => t.trim()).filter((t) => t !== '') : b;
  }, z.array(z.string({ error: 'tags must be text' }).regex(TAG, 'a tag must be 1–64 letters, digits, _ . : = -'), { error: 'must be tags separated by ;' })
    .transform((list) => [...new Set(list)].sort()).optional()), plainText(() => true, (s) => {
    const list = s.split(';').map((t) => t.trim()).filter((t) => t !== '');
    return list.every((t) => TAG.test(t)) ? [...new Set(list)].sort() : UNSURE;
  })),
  /** `metric=0.5;other=2` in CSV, an object in JSON. */
  deadbands: () => z.preprocess((v) => {
    const b = blank(v);
    if (typeof b !== 'string') return b;
    const out: Record<string, unknown> = {};
    for (const part of b.split(';')) {
      if (part.trim() === '') continue;
      const eq = part.indexOf('=');
      if (eq < 0) return b; // fails the record check below with the shape
      out[part.slice(0, eq).trim()] = numeric(part.slice(eq + 1));
    }
    return out;
  }, z.record(z.string(), z.number({ error: 'deadband values must be numbers' }).min(0, 'deadband values must be 0 or more'), { error: 'must be metric=value pairs separated by ;' }).optional()),
} as const;

export type FieldSchemas = Record<string, z.ZodType>;

/**
 * Each field through its schema; unknown keys are problems too. Returns the
 * parsed values (a failed field is left out) and every problem found.
 */
export function parseFields<S extends FieldSchemas>(raw: Record<string, unknown>, schemas: S): { values: { [K in keyof S]?: z.output<S[K]> }; problems: FieldProblem[] } {
  const values: Record<string, unknown> = {};
  const problems: FieldProblem[] = [];
  for (const key of Object.keys(raw)) {
    if (!(key in schemas)) problems.push({ column: key, problem: 'unknown column' });
  }
  for (const [column, schema] of Object.entries(schemas)) {
    const value = raw[column];
    // Every field is optional at this level (required ones are checked after): an empty cell needs no schema run.
    if (value === undefined || value === null || value === '') continue;
    const check = PLAIN.get(schema);
    const plain = check ? check(value) : UNSURE;
    if (plain !== UNSURE) {
      if (plain !== undefined) values[column] = plain;
      continue;
    }
    const result = schema.safeParse(value);
    if (result.success) {
      if (result.data !== undefined) values[column] = result.data;
    } else problems.push({ column, problem: result.error.issues[0]?.message ?? 'invalid' });
  }
  return { values: values as { [K in keyof S]?: z.output<S[K]> }, problems };
}

export const positionFields = {
  lat: field.number(-90, 90),
  lon: field.number(-180, 180),
  crs: field.oneOf(COORDINATE_SYSTEMS),
} as const;

/** lat/lon/crs → a WGS-84 position (null when neither is given); both or neither. */
export function positionOf(values: { lat?: number; lon?: number; crs?: CoordinateSystem }, problems: FieldProblem[], failed: Set<string>): Position | null {
  if (failed.has('lat') || failed.has('lon')) return null;
  if (values.lat === undefined && values.lon === undefined) return null;
  if (values.lat === undefined) {
    problems.push({ column: 'lat', problem: 'lon is given without lat' });
    return null;
  }
  if (values.lon === undefined) {
    problems.push({ column: 'lon', problem: 'lat is given without lon' });
    return null;
  }
  return toWgs84(values.lat, values.lon, values.crs ?? 'wgs84');
}

export function required(values: Record<string, unknown>, columns: readonly string[], problems: FieldProblem[], failed: Set<string>): void {
  for (const column of columns) {
    if (values[column] === undefined && !failed.has(column)) problems.push({ column, problem: 'required' });
  }
}

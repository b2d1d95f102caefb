import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { TzError } from '../../service-kit/index.ts';

// The city plan: districts (行政区), their grid cells (网格, the unit of
// responsibility of the digital urban-management system, GB/T 30428.1) and
// the main streets devices stand along. One GeoJSON file holds it; the one
// shipped is a SCHEMATIC 驻马店 (Zhumadian) — replace it with the city's
// official boundaries through TZ_CITY_BOUNDARIES or the `file` option.

export const DEFAULT_CITY_FILE = join(dirname(fileURLToPath(import.meta.url)), 'zhumadian.geojson');

/** [lon, lat] as GeoJSON orders them. */
export type LonLat = [number, number];
/** [west, south, east, north]. */
export type BBox = [number, number, number, number];

export interface District {
  id: string;
  name: string;
  nameEn: string;
  /** Short code grid cell ids start with (`YC` → `YC-0307`). */
  code: string;
  /** Outer ring first, then holes. */
  rings: LonLat[][];
  bbox: BBox;
  schematic: boolean;
}

export interface GridCell {
  /** `YC-0307`: district code, row and column within the district (from its south-west corner). */
  id: string;
  name: string;
  district: string;
  rings: LonLat[][];
  bbox: BBox;
}

export interface Street {
  name: string;
  nameEn: string;
  path: LonLat[];
}

export interface CityPlan {
  city: { id: string; name: string; nameEn: string; centre: LonLat };
  /** True when the outlines are drawn for the demo, not surveyed. */
  schematic: boolean;
  /** The file the plan was read from. */
  source: string;
  districts: District[];
  cells: GridCell[];
  streets: Street[];
}

const lonLat = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]);
const polygon = z.strictObject({ type: z.literal('Polygon'), coordinates: z.array(z.array(lonLat).min(4)).min(1) });
const feature = z.object({
  type: z.literal('Feature'),
  properties: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('district'), id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'district ids are lower-kebab-case (they are InfluxDB tags)'), name: z.string().min(1), nameEn: z.string().default(''), code: z.string().regex(/^[A-Z]{1,4}$/), schematic: z.boolean().default(false) }),
    z.object({ kind: z.literal('cell'), id: z.string().min(1), name: z.string().min(1), district: z.string().min(1) }),
    z.object({ kind: z.literal('street'), name: z.string().min(1), nameEn: z.string().default('') }),
  ]),
  geometry: z.union([polygon, z.strictObject({ type: z.literal('LineString'), coordinates: z.array(lonLat).min(2) })]),
});
const planFile = z.object({
  type: z.literal('FeatureCollection'),
  city: z.object({ id: z.string().min(1), name: z.string().min(1), nameEn: z.string().default(''), centre: lonLat }),
  schematic: z.boolean().default(false),
  /** Lattice the grid cells are generated on when the file lists no `cell` features. */
  grid: z.object({ originLon: z.number(), originLat: z.number(), stepLon: z.number().positive(), stepLat: z.number().positive() }).optional(),
  features: z.array(feature).min(1),
});

function bboxOf(rings: LonLat[][]): BBox {
  const [outer] = rings;
  // The schema holds a polygon to at least one ring; lattice cells are built with one.
  if (outer === undefined) throw new TzError('TZ_INTERNAL', 'a polygon without rings reached bboxOf');
  return [Math.min(...outer.map((p) => p[0])), Math.min(...outer.map((p) => p[1])), Math.max(...outer.map((p) => p[0])), Math.max(...outer.map((p) => p[1]))];
}

/** Parses a plan; problems name the file and the path. */
export function parseCityPlan(raw: unknown, source: string, inside: (p: LonLat, rings: LonLat[][]) => boolean): CityPlan {
  const parsed = planFile.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${source}: ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new TzError('TZ_CONFIG_INVALID', problems.join('\n'), { details: { problems } });
  }
  const file = parsed.data;
  const districts: District[] = [];
  const cells: GridCell[] = [];
  const streets: Street[] = [];
  const problems: string[] = [];
  file.features.forEach((f, i) => {
    const p = f.properties;
    if (p.kind === 'street') {
      if (f.geometry.type !== 'LineString') problems.push(`features.${i}: a street is a LineString`);
      else streets.push({ name: p.name, nameEn: p.nameEn, path: f.geometry.coordinates as LonLat[] });
      return;
    }
    if (f.geometry.type !== 'Polygon') {
      problems.push(`features.${i}: a ${p.kind} is a Polygon`);
      return;
    }
    const rings = f.geometry.coordinates as LonLat[][];
    if (p.kind === 'district') {
      if (districts.some((d) => d.id === p.id)) problems.push(`features.${i}.properties.id: duplicate district "${p.id}"`);
      districts.push({ id: p.id, name: p.name, nameEn: p.nameEn, code: p.code, rings, bbox: bboxOf(rings), schematic: p.schematic || file.schematic });
    } else cells.push({ id: p.id, name: p.name, district: p.district, rings, bbox: bboxOf(rings) });
  });
  for (const c of cells) if (!districts.some((d) => d.id === c.district)) problems.push(`cell ${c.id}: unknown district "${c.district}"`);
  if (districts.length === 0) problems.push('no district features');
  if (cells.length === 0 && !file.grid) problems.push('no cell features and no `grid` to generate them on');
  if (problems.length) throw new TzError('TZ_CONFIG_INVALID', problems.map((p) => `${source}: ${p}`).join('\n'), { details: { problems } });
  const { grid } = file;
  if (cells.length === 0 && grid) for (const d of districts) cells.push(...latticeCells(d, grid, inside));
  return { city: { id: file.city.id, name: file.city.name, nameEn: file.city.nameEn, centre: file.city.centre }, schematic: file.schematic, source, districts, cells, streets };
}

/**
 * The lattice squares wholly inside a district (all four corners inside or on
 * its boundary — exact for outlines drawn on the lattice, as the shipped one
 * is; an irregular outline loses the squares it cuts: list cells in the file).
 */
function latticeCells(d: District, grid: NonNullable<z.infer<typeof planFile>['grid']>, inside: (p: LonLat, rings: LonLat[][]) => boolean): GridCell[] {
  const [west, south, east, north] = d.bbox;
  const col0 = Math.floor((west - grid.originLon) / grid.stepLon + 1e-9);
  const row0 = Math.floor((south - grid.originLat) / grid.stepLat + 1e-9);
  const cols = Math.ceil((east - grid.originLon) / grid.stepLon - 1e-9) - col0;
  const rows = Math.ceil((north - grid.originLat) / grid.stepLat - 1e-9) - row0;
  const at = (c: number, r: number): LonLat => [Number((grid.originLon + c * grid.stepLon).toFixed(7)), Number((grid.originLat + r * grid.stepLat).toFixed(7))];
  const out: GridCell[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const corners: [LonLat, LonLat, LonLat, LonLat] = [at(col0 + c, row0 + r), at(col0 + c + 1, row0 + r), at(col0 + c + 1, row0 + r + 1), at(col0 + c, row0 + r + 1)];
      if (!corners.every((p) => inside(p, d.rings))) continue;
      const rc = `${String(r + 1).padStart(2, '0')}${String(c + 1).padStart(2, '0')}`;
      const rings = [[...corners, corners[0]]];
      out.push({ id: `${d.code}-${rc}`, name: `${d.name}第${r + 1}排第${c + 1}列网格`, district: d.id, rings, bbox: bboxOf(rings) });
    }
  }
  return out;
}

/** The plan file to use: the option, else env TZ_CITY_BOUNDARIES, else the shipped 驻马店. */
export function cityPlanFile(file?: string, env: NodeJS.ProcessEnv = process.env): string {
  return file ?? (env.TZ_CITY_BOUNDARIES || DEFAULT_CITY_FILE);
}

export function readCityPlanFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TzError('TZ_CONFIG_INVALID', `${file}: cannot read the city plan: ${(err as Error).message}`, { cause: err });
  }
}

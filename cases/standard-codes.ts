import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { TzError, formatProblems, zodProblems } from '../service-kit/index.ts';

// The standard's classification of problems (GB/T 30428.2): components (部件)
// and events (事件), each in major classes (大类, "01") and minor classes
// (小类, "0101"). Read from a YAML file (cases/categories/gbt30428.yaml by
// default, `standardFile` in the case config), checked with errors that name
// the file, the path and the problem. Platform categories map to a minor
// class by `standardCode` (the kind decides which tree).

export const SHIPPED_STANDARD_FILE = fileURLToPath(new URL('./categories/gbt30428.yaml', import.meta.url));

const item = z.strictObject({
  code: z.string({ error: 'a minor class (小类) code is four digits in quotes, e.g. "0101"' }).regex(/^\d{4}$/, 'a minor class (小类) code is four digits, e.g. "0101" (quote it in YAML)'),
  name: z.string().min(1, 'the Chinese name is required'),
  nameEn: z.string().min(1).optional(),
  extension: z.boolean().default(false),
});
const majorClass = z.strictObject({
  code: z.string({ error: 'a major class (大类) code is two digits in quotes, e.g. "01" (YAML reads 01 unquoted as a number)' }).regex(/^\d{2}$/, 'a major class (大类) code is two digits, e.g. "01" (quote it in YAML)'),
  name: z.string().min(1, 'the Chinese name is required'),
  nameEn: z.string().min(1).optional(),
  items: z.array(item).min(1, 'a major class lists its minor classes'),
});
const fileSchema = z.strictObject({
  standard: z.string().min(1).default('GB/T 30428.2'),
  components: z.array(majorClass).min(1),
  events: z.array(majorClass).min(1),
});

export type StandardKind = 'component' | 'event';
export const KIND_ZH: Record<StandardKind, string> = { component: '部件', event: '事件' };

export interface StandardClass {
  kind: StandardKind;
  code: string;
  name: string;
  nameEn: string | null;
  classCode: string;
  className: string;
  classNameEn: string | null;
  extension: boolean;
}

export interface StandardCatalogue {
  standard: string;
  file: string;
  /** Minor class by kind and four-digit code. */
  find(kind: StandardKind, code: string): StandardClass | undefined;
  all(): StandardClass[];
}

/** Checks a parsed catalogue; every problem in one error, naming `source`. */
export function parseStandardCatalogue(raw: unknown, source: string): StandardCatalogue {
  const result = fileSchema.safeParse(raw);
  if (!result.success) {
    const problems = zodProblems(result.error);
    throw new TzError('TZ_CASE_CONFIG', formatProblems(problems, source), { details: { problems } });
  }
  const problems: string[] = [];
  const byKey = new Map<string, StandardClass>();
  for (const kind of ['component', 'event'] as const) {
    const tree = kind === 'component' ? result.data.components : result.data.events;
    const majors = new Set<string>();
    tree.forEach((major, i) => {
      const where = `${kind === 'component' ? 'components' : 'events'}.${i}`;
      if (majors.has(major.code)) problems.push(`${where}.code: duplicate major class "${major.code}"`);
      majors.add(major.code);
      major.items.forEach((minor, j) => {
        if (!minor.code.startsWith(major.code)) problems.push(`${where}.items.${j}.code: "${minor.code}" does not start with its major class "${major.code}"`);
        const key = `${kind}:${minor.code}`;
        if (byKey.has(key)) problems.push(`${where}.items.${j}.code: duplicate minor class "${minor.code}"`);
        byKey.set(key, { kind, code: minor.code, name: minor.name, nameEn: minor.nameEn ?? null, classCode: major.code, className: major.name, classNameEn: major.nameEn ?? null, extension: minor.extension });
      });
    });
  }
  if (problems.length) throw new TzError('TZ_CASE_CONFIG', problems.map((p) => `${source}: ${p}`).join('\n'), { details: { problems } });
  return { standard: result.data.standard, file: source, find: (kind, code) => byKey.get(`${kind}:${code}`), all: () => [...byKey.values()] };
}

const cache = new Map<string, StandardCatalogue>();

/** Reads (once per file) and checks a catalogue file. */
export function loadStandardCatalogue(file: string = SHIPPED_STANDARD_FILE): StandardCatalogue {
  const known = cache.get(file);
  if (known) return known;
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TzError('TZ_CASE_CONFIG', `${file}: cannot read the categories file: ${(err as Error).message}`, { cause: err });
  }
  const catalogue = parseStandardCatalogue(raw, file);
  cache.set(file, catalogue);
  return catalogue;
}

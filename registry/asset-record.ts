import { TzError } from '../service-kit/index.ts';
import { field, parseFields, positionFields, positionOf, required, type FieldProblem } from './fields.ts';
import { RECORD_STATES, type Asset, type Position, type RecordState } from './model.ts';

// An asset (the pole, shaft or toilet block devices are mounted on) as one flat record.

export const ASSET_FIELDS = {
  id: field.id(),
  kind: field.pattern(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be a lower-kebab-case word, e.g. pole, shaft'),
  name: field.text(200),
  parentAssetId: field.id(),
  ...positionFields,
  address: field.text(200),
  district: field.text(64),
  gridCell: field.text(64),
  state: field.oneOf(RECORD_STATES),
  tags: field.tags(),
} as const;

export const ASSET_COLUMNS = Object.keys(ASSET_FIELDS);

export interface AssetDraft {
  id: string;
  kind: string;
  name: string | null;
  parentAssetId: string | null;
  position: Position | null;
  address: string | null;
  district: string | null;
  gridCell: string | null;
  tags: string[];
  state: RecordState | null;
}

export interface AssetCheckContext {
  /** The parent of an asset as it will be once this record (and the rest of the file) is written; undefined when there is no such asset. */
  parentOf(assetId: string): string | null | undefined;
}

export function checkAsset(raw: Record<string, unknown>, ctx: AssetCheckContext): { draft?: AssetDraft; problems: FieldProblem[] } {
  const { values: v, problems } = parseFields(raw, ASSET_FIELDS);
  const failed = new Set(problems.map((p) => p.column));
  required(v, ['id', 'kind'], problems, failed);
  if (v.parentAssetId !== undefined && v.id !== undefined) {
    if (v.parentAssetId === v.id) problems.push({ column: 'parentAssetId', problem: 'an asset cannot be its own parent' });
    else if (ctx.parentOf(v.parentAssetId) === undefined) problems.push({ column: 'parentAssetId', problem: `no asset "${v.parentAssetId}"` });
    else {
      // Walk up from the parent: meeting this asset again would make a loop.
      const seen = new Set<string>([v.id]);
      for (let at: string | null | undefined = v.parentAssetId; at; at = ctx.parentOf(at)) {
        if (seen.has(at)) {
          problems.push({ column: 'parentAssetId', problem: `parent ${v.parentAssetId} would make a loop (${[...seen, at].join(' → ')})` });
          break;
        }
        seen.add(at);
      }
    }
  }
  const position = positionOf(v, problems, failed);
  if (problems.length > 0) return { problems };
  const { id, kind } = v;
  if (id === undefined || kind === undefined) throw new TzError('TZ_INTERNAL', 'asset row passed its checks without id or kind'); // `required` listed them
  return {
    problems,
    draft: {
      id, kind, name: v.name ?? null, parentAssetId: v.parentAssetId ?? null, position,
      address: v.address ?? null, district: v.district ?? null, gridCell: v.gridCell ?? null, tags: v.tags ?? [], state: v.state ?? null,
    },
  };
}

export function flattenAsset(a: Asset): Record<string, string | number | string[] | null> {
  return {
    id: a.id, kind: a.kind, name: a.name, parentAssetId: a.parentAssetId,
    lat: a.position?.lat ?? null, lon: a.position?.lon ?? null, crs: a.position ? 'wgs84' : null,
    address: a.address, district: a.district, gridCell: a.gridCell, state: a.state, tags: a.tags,
  };
}

import { TzError } from '../service-kit/index.ts';
import { field, parseFields, positionFields, positionOf, required, type FieldProblem } from './fields.ts';
import { RECORD_STATES, type Gateway, type Position, type RecordState } from './model.ts';

// A gateway as one flat record. `reportedConfigVersion` is not a column: the
// gateway reports it (registry store `setReportedConfigVersion`).

export const GATEWAY_FIELDS = {
  id: field.id(),
  name: field.text(200),
  ...positionFields,
  address: field.text(200),
  district: field.text(64),
  autoAccept: field.boolean(),
  state: field.oneOf(RECORD_STATES),
  tags: field.tags(),
} as const;

export const GATEWAY_COLUMNS = Object.keys(GATEWAY_FIELDS);

export interface GatewayDraft {
  id: string;
  name: string | null;
  position: Position | null;
  address: string | null;
  district: string | null;
  autoAccept: boolean;
  tags: string[];
  state: RecordState | null;
}

export function checkGateway(raw: Record<string, unknown>): { draft?: GatewayDraft; problems: FieldProblem[] } {
  const { values: v, problems } = parseFields(raw, GATEWAY_FIELDS);
  const failed = new Set(problems.map((p) => p.column));
  required(v, ['id'], problems, failed);
  const position = positionOf(v, problems, failed);
  if (problems.length > 0) return { problems };
  const { id } = v;
  if (id === undefined) throw new TzError('TZ_INTERNAL', 'gateway row passed its checks without id'); // `required` listed it
  return {
    problems,
    draft: {
      id, name: v.name ?? null, position, address: v.address ?? null, district: v.district ?? null,
      autoAccept: v.autoAccept ?? false, tags: v.tags ?? [], state: v.state ?? null,
    },
  };
}

export function flattenGateway(g: Gateway): Record<string, string | number | boolean | string[] | null> {
  return {
    id: g.id, name: g.name, lat: g.position?.lat ?? null, lon: g.position?.lon ?? null, crs: g.position ? 'wgs84' : null,
    address: g.address, district: g.district, autoAccept: g.autoAccept, state: g.state, tags: g.tags,
  };
}

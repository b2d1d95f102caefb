import type { CaseRecord, Crew } from './model.ts';

// Automatic dispatch: the crew that serves the case's place and can handle its
// category. Specific beats general (grid cell > district > '*'), the crew
// that worked the case before is preferred on a reopen, then the least loaded.

export interface CrewChoice {
  crew: Crew;
  /** Why this crew: 'grid-cell' | 'district' | 'anywhere'. */
  matchedBy: 'grid-cell' | 'district' | 'anywhere';
}

function areaMatch(crew: Crew, c: Pick<CaseRecord, 'district' | 'gridCell'>): CrewChoice['matchedBy'] | null {
  if (c.gridCell && crew.gridCells.includes(c.gridCell)) return 'grid-cell';
  if (c.district && crew.districts.includes(c.district)) return 'district';
  if (crew.districts.includes('*')) return 'anywhere';
  return null;
}

const RANK: Record<CrewChoice['matchedBy'], number> = { 'grid-cell': 0, district: 1, anywhere: 2 };

export function canHandle(crew: Crew, category: string): boolean {
  return crew.skills.includes('*') || crew.skills.includes(category);
}

/** Best crew for a case, or null when no active crew serves its place and category. */
export function chooseCrew(c: Pick<CaseRecord, 'category' | 'department' | 'district' | 'gridCell' | 'crewId'>, crews: readonly Crew[], load: ReadonlyMap<string, number>): CrewChoice | null {
  const candidates: Array<CrewChoice & { rank: number }> = [];
  for (const crew of crews) {
    if (!crew.active || !canHandle(crew, c.category)) continue;
    const matchedBy = areaMatch(crew, c);
    if (!matchedBy) continue;
    candidates.push({ crew, matchedBy, rank: RANK[matchedBy] });
  }
  candidates.sort((a, b) =>
    Number(b.crew.id === c.crewId) - Number(a.crew.id === c.crewId)
    || a.rank - b.rank
    || Number(b.crew.department === c.department) - Number(a.crew.department === c.department)
    || (load.get(a.crew.id) ?? 0) - (load.get(b.crew.id) ?? 0)
    || a.crew.id.localeCompare(b.crew.id));
  const best = candidates[0];
  return best ? { crew: best.crew, matchedBy: best.matchedBy } : null;
}

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cityInstant, monthWindow, previousMonth } from '../city-time.ts';
import { computeKpis } from '../kpis.ts';
import { sampleCase } from './case-store.suite.ts';
import type { CaseEventRecord, CaseRecord } from '../model.ts';

const iso = (ms: number) => new Date(ms).toISOString();

test('a month is local midnight to local midnight in the city', () => {
  const nov = monthWindow('2026-11', 'Asia/Shanghai');
  assert.equal([iso(nov.from), iso(nov.to)], ['2026-10-31T16:00:00.000Z', '2026-11-30T16:00:00.000Z']);
  const dec = monthWindow('2026-12', 'Asia/Shanghai');
  assert.is(iso(dec.to), '2026-12-31T16:00:00.000Z', 'December ends with the next year');
  const berlin = monthWindow('2026-03', 'Europe/Berlin');
  assert.equal([iso(berlin.from), iso(berlin.to)], ['2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z'], 'a zone with summer time');
  assert.equal([previousMonth('2026-01'), previousMonth('2026-11')], ['2025-12', '2026-10']);
  assert.is(iso(cityInstant('2026-11-01', 'Asia/Shanghai')), '2026-10-31T16:00:00.000Z');
  assert.is(iso(cityInstant('2026-11-01T00:00:00Z', 'Asia/Shanghai')), '2026-11-01T00:00:00.000Z', 'a full time is taken as written');
  assert.throws(() => monthWindow('2026-13', 'Asia/Shanghai'));
});

test('ratings in the KPIs: average stars and the three satisfaction levels, only ratings before `to`', () => {
  const cases = [1, 2, 3].map((id) => ({ ...sampleCase({ source: 'citizen' }), id, createdAt: 10, updatedAt: 10, version: 1, closedAt: null }) as CaseRecord);
  let n = 0;
  const line = (caseId: number, at: number, action: string, to: CaseRecord['status'] | null, detail: Record<string, unknown> = {}): CaseEventRecord =>
    ({ id: ++n, caseId, at, who: 't', action, fromStatus: null, toStatus: to, note: null, detail });
  const events = cases.flatMap((c, i) => [line(c.id, 10, 'report', 'reported'), line(c.id, 11, 'register', 'registered'), line(c.id, 20, 'close', 'closed'), line(c.id, 30 + i * 10, 'rating', 'closed', { stars: [5, 3, 1][i] })]);
  const k = computeKpis(cases, events, { from: 0, to: 100, district: null });
  assert.equal([k.counts.ratings, k.counts.satisfied, k.counts.basicallySatisfied, k.counts.dissatisfied, k.averageRating, k.satisfactionRate], [3, 1, 1, 1, 3, 0.6667]);
  const early = computeKpis(cases, events, { from: 0, to: 45, district: null });
  assert.equal([early.counts.ratings, early.averageRating], [2, 4]);
});

test.run();

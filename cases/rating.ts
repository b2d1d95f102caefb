import { createHash } from 'node:crypto';
import { z } from 'zod';
import { TzError, type Clock } from '../service-kit/index.ts';
import type { CaseStore } from './case-store.ts';
import type { CaseEventRecord, CaseRecord } from './model.ts';

// The citizen's rating (评价) that ends a citizen or 12345-hotline case: 1–5
// stars and an optional comment, kept as one audit line (`rating`) of the case
// so the KPIs read it from the audit trail like everything else. Only after
// the case is closed, and only once. Stars map to the three levels the
// hotline's satisfaction survey uses: 4–5 满意, 3 基本满意, 1–2 不满意.

export const SATISFACTION = ['satisfied', 'basically-satisfied', 'dissatisfied'] as const;
export type Satisfaction = (typeof SATISFACTION)[number];
export const SATISFACTION_ZH: Record<Satisfaction, string> = { satisfied: '满意', 'basically-satisfied': '基本满意', dissatisfied: '不满意' };

export const satisfactionOf = (stars: number): Satisfaction => (stars >= 4 ? 'satisfied' : stars === 3 ? 'basically-satisfied' : 'dissatisfied');

export const ratingBody = z.strictObject({
  stars: z.coerce.number().int().min(1).max(5),
  comment: z.string().trim().max(1000).optional(),
});
export type RatingInput = z.infer<typeof ratingBody>;

export interface CaseRating {
  stars: number;
  satisfaction: Satisfaction;
  satisfactionZh: string;
  comment: string | null;
  channel: string;
  at: string;
  by: string;
}

/** Sources whose reporter rates the outcome. */
export const RATED_SOURCES: ReadonlyArray<CaseRecord['source']> = ['citizen', 'hotline'];

export function ratingOf(events: readonly CaseEventRecord[]): CaseRating | null {
  const line = events.find((e) => e.action === 'rating');
  if (!line || typeof line.detail.stars !== 'number') return null;
  const stars = line.detail.stars;
  const satisfaction = satisfactionOf(stars);
  return { stars, satisfaction, satisfactionZh: SATISFACTION_ZH[satisfaction], comment: line.note, channel: String(line.detail.channel ?? ''), at: new Date(line.at).toISOString(), by: line.who };
}

/** Records the rating of a closed citizen/hotline case; 409 before close or when already rated. */
export async function rateCase(store: CaseStore, clock: Clock, caseId: number, input: RatingInput, by: { who: string; channel: 'open311' | 'api' }): Promise<CaseRating> {
  return store.atomically(async (tx) => {
    const c = await tx.getCase(caseId);
    if (!c) throw new TzError('TZ_CASE_NOT_FOUND', `no case ${caseId}`);
    if (!RATED_SOURCES.includes(c.source)) throw new TzError('TZ_REQUEST_INVALID', `case ${caseId} came from ${c.source}; only citizen and hotline reports are rated`);
    if (c.status !== 'closed') throw new TzError('TZ_CASE_TRANSITION', `case ${caseId} is ${c.status}; it can be rated once it is closed`, { details: { status: c.status, reason: 'not-closed' } });
    const events = await tx.eventsOf(caseId);
    if (events.some((e) => e.action === 'rating')) throw new TzError('TZ_CASE_TRANSITION', `case ${caseId} was already rated`, { details: { reason: 'already-rated' } });
    const satisfaction = satisfactionOf(input.stars);
    const line = await tx.appendEvent({
      caseId, at: clock.now(), who: by.who, action: 'rating', fromStatus: c.status, toStatus: c.status, note: input.comment || null,
      detail: { stars: input.stars, satisfaction, channel: by.channel },
    });
    const rating = ratingOf([line]);
    if (!rating) throw new TzError('TZ_INTERNAL', `case ${caseId}: the rating line just written does not read back as a rating`);
    return rating;
  });
}

/**
 * A hotline caller's number, kept only masked (138****8000) and as a SHA-256
 * (to recognise a repeat caller). An 11-digit number is guessable from its
 * hash, so the hash is not secret — the masked form is what people see.
 */
export function callerPhone(phone: string): { phone: string; phoneHash: string } {
  const digits = phone.replace(/\D/g, '');
  const masked = digits.length >= 7 ? `${digits.slice(0, 3)}****${digits.slice(-4)}` : '*'.repeat(digits.length);
  return { phone: masked, phoneHash: createHash('sha256').update(digits).digest('hex') };
}

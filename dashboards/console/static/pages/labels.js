// Labels for things named by data rather than by a fixed list: rules (by the
// last part of their id), device classes (profile title as the fallback).
import { ctx, label } from '../app.js';

/** `manhole-cover/cover-open` → the locale's `rule.cover-open`, else the rule's own name. */
export const ruleLabel = (ruleId, name) => label('rule', String(ruleId ?? '').split(/[/:.]/).pop(), name ?? ruleId);

export function classLabel(cls) {
  const profile = ctx.config?.profiles?.find((p) => p.class === cls);
  return label('class', cls, profile?.title ?? cls);
}

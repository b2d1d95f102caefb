// The refusal reasons are one closed set (reject-reasons.ts): the type system
// holds the code to it; this holds the README (what operators read to know a
// dead letter's meaning) to it, and the set to its parts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { isRejectReason, REJECT_REASONS, VALUE_REJECT_REASONS } from '../reject-reasons.ts';
import { checkMetricValue, loadProfiles } from '../../device-profiles/index.ts';

test('every reason is documented in ingest/README.md, once in the set', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const undocumented = REJECT_REASONS.filter((r) => !readme.includes(`\`${r}\``));
  assert.equal(undocumented, [], `document these reasons in ingest/README.md: ${undocumented.join(', ')}`);
  assert.is(new Set(REJECT_REASONS).size, REJECT_REASONS.length, 'no reason twice');
});

test('the value problems device-profiles reports are all reasons; anything else is not', () => {
  const profile = loadProfiles().get('manhole-cover');
  const spec = profile?.metrics.find((m) => m.type !== 'boolean' && m.max !== undefined);
  assert.ok(spec, 'a bounded numeric metric to check against');
  const seen = [checkMetricValue(undefined, 1), checkMetricValue(spec, true), checkMetricValue(spec, Number.NaN), checkMetricValue(spec, (spec.max ?? 0) + 1), checkMetricValue(spec, (spec.min ?? -1e9) - 1)];
  for (const problem of seen) {
    assert.ok(problem !== null && isRejectReason(problem), String(problem));
    assert.ok((VALUE_REJECT_REASONS as readonly string[]).includes(problem ?? ''));
  }
  assert.not.ok(isRejectReason('retry-after'));
  assert.not.ok(isRejectReason(''));
});

test.run();

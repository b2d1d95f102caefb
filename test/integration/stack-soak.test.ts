// The soak in its shortened form (issue 20; the full hour is `npm run
// test:soak`): the npm start stack at 2,000 devices for about two minutes,
// sampled after a forced GC. Heap and open handles must stop growing after
// the warm-up, and every reading the gateway numbered must be stored or
// dead-lettered with a reason, none twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runSoak, SOAK_DEFAULTS } from '../../faults/soak.ts';

test('soak (short): 2,000 devices; heap and handles flat after the warm-up; sent = stored', async () => {
  const lines: string[] = [];
  const r = await runSoak({ ...SOAK_DEFAULTS, devices: 2000, durationMs: 100_000, pollIntervalMs: 5000, sampleEveryMs: 5000, progress: (l) => lines.push(l) });
  assert.equal(r.problems, [], `${r.problems.join('\n')}\n${lines.join('\n')}`);
  assert.ok(r.samples.length >= 18, 'sampled through the run');
  assert.is(r.ledger.devices, 2000, 'every device reported');
  // Polled through to the end, not stalled: the last third of the run still added readings.
  const at = (share: number) => r.samples[Math.floor((r.samples.length - 1) * share)]?.counters.readingsPolled ?? 0;
  assert.ok(at(1) > at(2 / 3) && at(2 / 3) > at(1 / 3), `readings kept coming: ${at(1 / 3)} → ${at(2 / 3)} → ${at(1)}`);
  assert.is(r.ledger.sent, r.ledger.stored + r.ledger.deadLettered);
  assert.is(r.ledger.lost, 0);
});

test.run();

// The soak in its shortened form (issue 20; the full hour is `npm run
// test:soak`): the npm start stack at 2,000 devices on a simulated clock,
// 20 minutes of city time at 12× = 100 s wall, polled every 5 s wall (60 s of
// city time, the fastest profile's report interval) = 400 readings/s, sampled
// after a forced GC every 5 s wall (20 samples, 14 after the warm-up). Heap
// and open handles must stop growing after the warm-up, and every reading the
// gateway numbered must be stored or dead-lettered with a reason, none twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runSoak, SOAK_DEFAULTS } from '../../faults/soak.ts';

test('soak (short): 2,000 devices, 20 city minutes at 12×; heap and handles flat after the warm-up; sent = stored', async () => {
  const lines: string[] = [];
  const r = await runSoak({ ...SOAK_DEFAULTS, devices: 2000, simulatedMs: 20 * 60_000, speed: 12, pollIntervalMs: 5000, sampleEveryMs: 5000, progress: (l) => lines.push(l) });
  assert.equal(r.problems, [], `${r.problems.join('\n')}\n${lines.join('\n')}`);
  assert.ok(r.samples.length >= 18, 'sampled through the run');
  assert.is(r.ledger.devices, 2000, 'every device reported');
  // City time ran at the clock's speed: 20 minutes in about 100 s of wall time.
  const last = r.samples.at(-1);
  assert.ok(last && last.simAtMs >= 19 * 60_000 && last.simAtMs <= 22 * 60_000, `city time reached ${(last?.simAtMs ?? 0) / 60_000} min`);
  assert.ok(last && Math.abs(last.simAtMs / last.atMs - 12) < 0.5, 'city time runs 12× the wall clock');
  // Polled through to the end, not stalled: the last third of the run still added readings.
  const at = (share: number) => r.samples[Math.floor((r.samples.length - 1) * share)]?.counters.readingsPolled ?? 0;
  assert.ok(at(1) > at(2 / 3) && at(2 / 3) > at(1 / 3), `readings kept coming: ${at(1 / 3)} → ${at(2 / 3)} → ${at(1)}`);
  assert.is(r.ledger.sent, r.ledger.stored + r.ledger.deadLettered);
  assert.is(r.ledger.lost, 0);
});

test.run();

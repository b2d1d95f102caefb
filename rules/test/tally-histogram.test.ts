import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Histogram } from 'prom-client';
import { createRegistry } from '../../service-kit/index.ts';
import { TallyHistogram } from '../tally-histogram.ts';

// The tally is only a cheaper way of observing: what /metrics shows must be
// exactly what prom-client's own Histogram shows for the same observations,
// scrape after scrape.

const BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1];
const NAME = 'tz_test_evaluation_seconds';
const HELP = 'Time to evaluate one reading';

function pair() {
  const ownRegistry = createRegistry('rules');
  const own = new Histogram({ name: NAME, help: HELP, buckets: BUCKETS, registers: [ownRegistry] });
  const tallyRegistry = createRegistry('rules');
  const tally = new TallyHistogram({ name: NAME, help: HELP, buckets: BUCKETS, registry: tallyRegistry });
  const observe = (values: readonly number[]) => {
    for (const v of values) {
      own.observe(v);
      tally.observe(v);
    }
  };
  return { ownRegistry, tallyRegistry, observe };
}

// Every bound exactly (`le` is inclusive), between bounds, zero, above the last bound (+Inf only).
const FIRST = [...BUCKETS, 0, 0.00003, 0.00007, 0.0003, 0.002, 0.02, 0.05, 0.2, 3, 0.00004, 0.00004];
// Later rounds are dyadic (k / 2^20 s): sums are exact whatever the order of addition.
const dyadic = (n: number, seed: number) => Array.from({ length: n }, (_, i) => (((i * 7919 + seed) % 120_000) + 1) / 2 ** 20);

test('the exposition equals prom-client\'s own Histogram fed the same observations, scrape after scrape', async () => {
  const { ownRegistry, tallyRegistry, observe } = pair();
  assert.is(await tallyRegistry.metrics(), await ownRegistry.metrics(), 'before any observation');
  observe(FIRST);
  const first = await tallyRegistry.metrics();
  assert.is(first, await ownRegistry.metrics());
  assert.match(first, new RegExp(`${NAME}_bucket\\{le="0.00005",component="rules"\\} 5`), 'le is inclusive: 0.00005 itself, 0, 0.00003 and 0.00004 twice');
  assert.match(first, new RegExp(`${NAME}_count\\{component="rules"\\} ${FIRST.length}\\n`));
  assert.is(await tallyRegistry.metrics(), await ownRegistry.metrics(), 'a scrape with nothing new changes nothing');
  for (let round = 1; round <= 3; round++) {
    observe(dyadic(5_000 * round, round));
    assert.is(await tallyRegistry.metrics(), await ownRegistry.metrics(), `round ${round}`);
  }
  assert.is((await tallyRegistry.getMetricsAsJSON()).length, 1);
  assert.equal(await tallyRegistry.getMetricsAsJSON(), await ownRegistry.getMetricsAsJSON(), 'the JSON form too');
});

test('after registry.resetMetrics() it counts again from zero, as prom-client does', async () => {
  const { ownRegistry, tallyRegistry, observe } = pair();
  observe(dyadic(100, 1));
  await tallyRegistry.metrics();
  observe(dyadic(50, 2)); // observed, not yet scraped: reset drops these too
  ownRegistry.resetMetrics();
  tallyRegistry.resetMetrics();
  assert.is(await tallyRegistry.metrics(), await ownRegistry.metrics());
  observe(dyadic(30, 3));
  const after = await tallyRegistry.metrics();
  assert.is(after, await ownRegistry.metrics());
  assert.match(after, new RegExp(`${NAME}_count\\{component="rules"\\} 30\\n`));
});

test('a value that is not a finite number is not counted (prom-client would throw)', async () => {
  const registry = createRegistry('rules');
  const tally = new TallyHistogram({ name: NAME, help: HELP, buckets: BUCKETS, registry });
  tally.observe(Number.NaN);
  tally.observe(Number.POSITIVE_INFINITY);
  tally.observe(0.001);
  assert.match(await registry.metrics(), new RegExp(`${NAME}_count\\{component="rules"\\} 1\\n`));
});

test.run();

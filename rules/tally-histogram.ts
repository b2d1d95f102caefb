import { Histogram, type Registry } from 'prom-client';
import { TzError } from '../service-kit/index.ts';

// A prom-client histogram observed once per reading (issue 18): prom-client's
// `observe` allocates a closure and two objects and hashes the labels on
// every call (3.6 % of the rules engine's loop in the profile). The hot path
// here only counts into a typed array; the counts are handed to the
// prom-client histogram when it is scraped (its `collect`), so the metric's
// name, help, buckets and exposition stay prom-client's own. Unlabelled only.

/** The unlabelled series prom-client keeps (Histogram's `hashMap['']`); checked at start, held by rules/test/tally-histogram.test.ts. */
interface Series { bucketValues: Record<string, number>; sum: number; count: number }

export interface TallyHistogramConfiguration {
  name: string;
  help: string;
  buckets: readonly number[];
  registry: Registry;
}

export class TallyHistogram {
  /** The prom-client metric (what /metrics shows). */
  readonly histogram: Histogram;
  private readonly bounds: Float64Array;
  /** Observations since the last scrape by bucket (prom-client's `value <= bound`); the last slot is above every bound (+Inf only). */
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;
  private readonly name: string;

  constructor(c: TallyHistogramConfiguration) {
    this.name = c.name;
    const buckets = [...c.buckets].sort((a, b) => a - b);
    this.bounds = Float64Array.from(buckets);
    this.counts = new Float64Array(buckets.length + 1);
    const tally = this;
    this.histogram = new TalliedHistogram(() => tally.drop(), {
      name: c.name, help: c.help, buckets, registers: [c.registry],
      collect() { tally.handOver(this); },
    });
    // Fail at start, not at the first scrape, if prom-client keeps its series differently.
    this.seriesOf(this.histogram);
  }

  /** One observation (seconds): a bucket search and three additions, nothing allocated. */
  observe(value: number): void {
    if (!Number.isFinite(value)) return; // prom-client would throw; a clock cannot give one
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] ?? Number.POSITIVE_INFINITY)) i++;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += value;
    this.count++;
  }

  /** Adds what was counted since the last scrape to prom-client's series. */
  private handOver(h: Histogram): void {
    if (this.count === 0) return;
    const series = this.seriesOf(h);
    for (let i = 0; i < this.bounds.length; i++) {
      const n = this.counts[i] ?? 0;
      if (n === 0) continue;
      const key = String(this.bounds[i]);
      series.bucketValues[key] = (series.bucketValues[key] ?? 0) + n;
    }
    series.sum += this.sum;
    series.count += this.count;
    this.drop();
  }

  /** Forgets what was not handed over yet (the registry's metrics were reset). */
  private drop(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  private seriesOf(h: Histogram): Series {
    const internals = h as unknown as { hashMap?: Record<string, Series | undefined> };
    if (internals.hashMap && internals.hashMap[''] === undefined) h.zero({}); // after registry.resetMetrics()
    const series = internals.hashMap?.[''];
    if (!series || typeof series.sum !== 'number' || typeof series.count !== 'number' || typeof series.bucketValues !== 'object') {
      throw new TzError('TZ_INTERNAL', `${this.name}: prom-client no longer keeps an unlabelled histogram as hashMap[''] (see rules/tally-histogram.ts)`);
    }
    return series;
  }
}

/** prom-client's Histogram whose `reset()` (registry.resetMetrics()) also drops the tally's counts not handed over yet. */
class TalliedHistogram extends Histogram {
  /** Unset while prom-client's constructor runs (it calls `reset()` itself). */
  private readonly onReset: (() => void) | undefined;

  constructor(onReset: () => void, configuration: ConstructorParameters<typeof Histogram>[0]) {
    super(configuration);
    this.onReset = onReset;
  }

  override reset(): void {
    super.reset();
    this.onReset?.();
  }
}

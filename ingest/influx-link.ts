import type { Point } from '@influxdata/influxdb-client';
import { Backoff, createInfluxDatabase, delay, detectInfluxApi, type InfluxTarget, type Logger } from '../service-kit/index.ts';
import { InfluxPointWriter, type WriteOutcome } from './influx-writer.ts';
import type { IngestMetrics } from './metrics.ts';

/** Thrown out of waits when ingest is stopping: the message stays unacknowledged and the broker redelivers it. */
export class IngestStopping extends Error {
  constructor() {
    super('ingest is stopping');
    this.name = 'IngestStopping';
  }
}

/**
 * The connection to InfluxDB: finds the API version and creates the database
 * (v1) in the background, retrying with backoff while the server is
 * unreachable — ingest keeps running and reports unhealthy meanwhile.
 */
export class InfluxLink {
  reachable = false;
  private readonly ready: Promise<InfluxPointWriter>;

  constructor(
    private readonly target: InfluxTarget,
    private readonly maxBatchLines: number,
    private readonly log: Logger,
    private readonly metrics: IngestMetrics,
    private readonly signal: AbortSignal,
  ) {
    this.ready = this.connect();
    this.ready.catch(() => undefined); // observed by writeDurably; a stop before connecting is not an error
  }

  private setReachable(value: boolean): void {
    this.reachable = value;
    this.metrics.influxReachable.set(value ? 1 : 0);
  }

  private async connect(): Promise<InfluxPointWriter> {
    const backoff = new Backoff(250, 5_000);
    while (!this.signal.aborted) {
      try {
        const api = await detectInfluxApi(this.target);
        if (api === 'v1') await createInfluxDatabase(this.target);
        this.setReachable(true);
        this.log.info({ url: this.target.url, api, database: this.target.database }, 'InfluxDB ready');
        return new InfluxPointWriter(this.target, api, this.maxBatchLines);
      } catch (err) {
        this.setReachable(false);
        const ms = backoff.next();
        this.log.warn({ err: (err as Error).message }, `InfluxDB at ${this.target.url} unreachable, retrying in ${(ms / 1000).toFixed(1)}s`);
        await delay(ms, this.signal);
      }
    }
    throw new IngestStopping();
  }

  /**
   * Writes until the points are durable (resolves ok) or the server refuses
   * them for good (resolves not ok); retries everything else with backoff.
   * Throws IngestStopping when ingest stops first.
   */
  async writeDurably(points: readonly Point[]): Promise<WriteOutcome> {
    const writer = await this.ready;
    const backoff = new Backoff(250, 5_000);
    for (;;) {
      const stopTimer = this.metrics.writeSeconds.startTimer();
      const outcome = await writer.write(points);
      if (outcome.ok) {
        stopTimer();
        this.setReachable(true);
        return outcome;
      }
      this.metrics.counts.writeErrors += 1;
      this.metrics.writeErrors.inc({ reason: outcome.retryable ? 'retryable' : 'rejected' });
      if (!outcome.retryable) {
        this.setReachable(true);
        return outcome;
      }
      this.setReachable(false);
      const ms = backoff.next();
      this.log.warn({ err: outcome.error.message, points: points.length }, `InfluxDB at ${this.target.url} unreachable, retrying in ${(ms / 1000).toFixed(1)}s`);
      await delay(ms, this.signal);
      if (this.signal.aborted) throw new IngestStopping();
    }
  }

  async close(): Promise<void> {
    const writer = await this.ready.catch(() => null);
    await writer?.close();
  }
}

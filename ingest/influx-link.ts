import type { ProfileCatalogue } from '../device-profiles/index.ts';
import { Backoff, delay, detectInfluxApi, type InfluxTarget, type Logger } from '../service-kit/index.ts';
import { InfluxLineWriter, type LineWriterOptions } from './influx-writer.ts';
import { setUpInfluxLayout, type RetentionSetup, type SetupReport } from './influx-setup.ts';

/** Thrown out of waits when ingest is stopping: the message stays unacknowledged and the broker redelivers it. */
export class IngestStopping extends Error {
  constructor() {
    super('ingest is stopping');
    this.name = 'IngestStopping';
  }
}

export interface InfluxLinkOptions extends LineWriterOptions {
  profiles: ProfileCatalogue;
  /** null: leave the server's layout alone (only write). */
  retention: RetentionSetup | null;
}

/**
 * The connection to InfluxDB: finds the API version (from /ping's
 * X-Influxdb-Version, unless the target fixes it), sets up database,
 * retention and downsampling, in the background, retrying with backoff while
 * the server is unreachable — ingest keeps running (holding messages
 * unacknowledged) and reports unhealthy meanwhile.
 */
export class InfluxLink {
  /** Ready: a writer for the raw policy, and what setup did. */
  readonly ready: Promise<{ writer: InfluxLineWriter; setup: SetupReport | null }>;
  private writerInstance: InfluxLineWriter | null = null;

  constructor(
    readonly target: InfluxTarget,
    private readonly options: InfluxLinkOptions,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
    private readonly onReachable: (value: boolean) => void,
  ) {
    this.ready = this.connect();
    this.ready.catch(() => undefined); // observed by the writers; a stop before connecting is not an error
  }

  writer(): Promise<InfluxLineWriter> {
    return this.ready.then((r) => r.writer);
  }

  private async connect(): Promise<{ writer: InfluxLineWriter; setup: SetupReport | null }> {
    const backoff = new Backoff(250, 5_000);
    while (!this.signal.aborted) {
      try {
        const api = await detectInfluxApi(this.target);
        const setup = this.options.retention ? await setUpInfluxLayout(this.target, api, this.options.profiles, this.options.retention, this.log) : null;
        // v1: raw readings go to the raw policy explicitly, whatever the database's default is.
        const writeTarget: InfluxTarget = api === 'v1' && this.options.retention && !this.target.retentionPolicy ? { ...this.target, retentionPolicy: this.options.retention.rawPolicy } : this.target;
        this.onReachable(true);
        this.log.info({ url: this.target.url, api, database: this.target.database, retentionPolicy: writeTarget.retentionPolicy, gzip: this.options.gzip }, 'InfluxDB ready');
        this.writerInstance = new InfluxLineWriter(writeTarget, api, this.options);
        return { writer: this.writerInstance, setup };
      } catch (err) {
        this.onReachable(false);
        const ms = backoff.next();
        this.log.warn({ err: (err as Error).message }, `InfluxDB at ${this.target.url} not ready, retrying in ${(ms / 1000).toFixed(1)}s`);
        await delay(ms, this.signal);
      }
    }
    throw new IngestStopping();
  }

  async close(): Promise<void> {
    await this.writerInstance?.close();
  }
}

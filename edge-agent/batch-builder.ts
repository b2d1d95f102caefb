import { tz, type IDeviceStatus, type IReading } from '../proto/index.ts';
import { toError, type Clock, type Logger } from '../service-kit/index.ts';
import type { GatewayLedger } from './gateway-ledger.ts';
import type { StoreDrops } from './health-snapshot.ts';
import type { EdgeMetrics } from './metrics.ts';
import type { StoreAndForwardQueue } from './store-and-forward-queue.ts';

export interface BatchBuilderOptions {
  gatewayId: string;
  maxReadings: number;
  maxDelayMs: number;
  queue: StoreAndForwardQueue;
  ledger: GatewayLedger;
  metrics: EdgeMetrics;
  log: Logger;
  clock: Clock;
  /** Where readings that could not be written or encoded are counted (the agent's, kept across reloads). */
  drops: StoreDrops;
  /** A batch is on disk and may be published. */
  onSealed: () => void;
}

/** Tag of `UplinkBatch.readings` (field 4, length-delimited), proto/tianzhong/v1/telemetry.proto. */
const READINGS_TAG = (4 << 3) | 2;

/**
 * Collects readings and device status changes into one UplinkBatch, sealed at
 * maxReadings or maxDelayMs after its first item. Sealing encodes the batch
 * and appends it to the disk queue in ONE transaction with the per-device
 * counters it used: that is the gateway's durability point. Until then a
 * reading lives in memory only (at most maxDelayMs); lost in a crash, its
 * seq is given out again.
 *
 * A reading is checked and encoded when it arrives and kept as its bytes, the
 * batch's `readings` field written from them at the seal (a repeated message
 * field is its elements' bytes, each tagged and length-prefixed): the reading
 * objects die young instead of outliving a few garbage collections in the
 * open batch, which made the agent's heap and GC work grow with its devices.
 */
export class BatchBuilder {
  private readings: Uint8Array[] = [];
  private firstAtMs = Number.POSITIVE_INFINITY;
  private statuses: IDeviceStatus[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: BatchBuilderOptions) {}

  addReading(reading: IReading): void {
    const problem = tz.Reading.verify(reading);
    if (problem) {
      this.opts.drops.readings++;
      this.opts.metrics.dropped.inc({ reason: 'encode-error' });
      this.opts.log.error({ code: 'TZ_PROTO_DECODE', deviceId: reading.deviceId, seq: reading.seq, problem }, 'cannot encode the reading; dropped');
      return;
    }
    this.readings.push(tz.Reading.encode(reading).finish());
    this.firstAtMs = Math.min(this.firstAtMs, Number(reading.timestampMs));
    this.arm();
    if (this.readings.length >= this.opts.maxReadings) this.seal();
  }

  addStatus(status: IDeviceStatus): void {
    this.statuses.push(status);
    this.firstAtMs = Math.min(this.firstAtMs, Number(status.timestampMs));
    this.arm();
  }

  get openReadings(): number {
    return this.readings.length;
  }

  /** Seals the open batch now (size or time bound reached, reload, stop). */
  seal(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.readings.length === 0 && this.statuses.length === 0) return;
    const readings = this.readings;
    const statuses = this.statuses;
    const first = this.firstAtMs;
    this.readings = [];
    this.statuses = [];
    this.firstAtMs = Number.POSITIVE_INFINITY;
    const { queue, ledger, metrics, log } = this.opts;
    const batchSeq = ledger.nextBatchSeq();
    try {
      const head = { gatewayId: this.opts.gatewayId, batchSeq, sentAtMs: this.opts.clock.now(), statuses };
      const problem = tz.UplinkBatch.verify(head);
      if (problem) throw new Error(`cannot encode: ${problem}`);
      const writer = tz.UplinkBatch.encode(head);
      for (const r of readings) writer.uint32(READINGS_TAG).bytes(r);
      const payload = writer.finish();
      const { id, dropped } = queue.append({ payload, readings: readings.length, firstReadingAtMs: first }, () => ledger.saveDirty());
      for (const d of dropped) {
        metrics.dropped.inc({ reason: 'queue-full' }, d.readings);
        metrics.batchesDropped.inc();
      }
      if (dropped.length > 0) log.warn({ batches: dropped.length, readings: dropped.reduce((n, d) => n + d.readings, 0), maxBytes: queue.maxBytes }, 'disk queue full: dropped the oldest batches');
      if (id > 0) {
        metrics.batchesSealed.inc();
        this.opts.onSealed();
      }
    } catch (err) {
      // Not on disk: these readings are lost, and said so (counted, logged, shown in status).
      this.opts.drops.readings += readings.length;
      metrics.dropped.inc({ reason: 'store-error' }, readings.length);
      log.error({ code: 'TZ_QUEUE_STORE', err: toError(err).message, readings: readings.length, batchSeq }, 'cannot write the batch to the disk queue; readings dropped');
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    if (!this.timer) this.timer = setTimeout(() => this.seal(), this.opts.maxDelayMs);
  }
}

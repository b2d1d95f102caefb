import type { IDeviceStatus, IReading } from '../proto/index.ts';
import type { EdgeMetrics } from './metrics.ts';

/** A sealed UplinkBatch waiting for (or in) its QoS 1 publish. */
export interface SealedBatch {
  batchSeq: number;
  sentAtMs: number;
  readings: IReading[];
  statuses: IDeviceStatus[];
}

export interface UplinkQueueOptions {
  maxReadings: number;
  maxDelayMs: number;
  maxQueuedReadings: number;
  metrics: EdgeMetrics;
  /** Called whenever a batch is sealed, so the uplink can publish it. */
  onSealed: () => void;
}

/**
 * Collects readings and device status changes into batches (sealed at
 * maxReadings or maxDelayMs after the first item) and holds sealed batches
 * until the broker acknowledges them. In memory only until the disk queue
 * exists: bounded by maxQueuedReadings, overflow drops the OLDEST readings,
 * counted as tz_edge_readings_dropped_total{reason="queue-full"}.
 */
export class UplinkQueue {
  private open: SealedBatch | null = null;
  private sealTimer: NodeJS.Timeout | null = null;
  private readonly sealed: SealedBatch[] = [];
  private nextSeq = 1;
  private inFlightReadings = 0;
  private droppedTotal = 0;

  constructor(private readonly opts: UplinkQueueOptions) {}

  addReading(reading: IReading): void {
    const batch = this.openBatch();
    batch.readings.push(reading);
    if (batch.readings.length >= this.opts.maxReadings) this.seal();
    this.enforceBound();
  }

  addStatus(status: IDeviceStatus): void {
    this.openBatch().statuses.push(status);
  }

  /** Seals the open batch now (stop, tests). */
  seal(): void {
    if (this.sealTimer) clearTimeout(this.sealTimer);
    this.sealTimer = null;
    const batch = this.open;
    this.open = null;
    if (!batch || (batch.readings.length === 0 && batch.statuses.length === 0)) return;
    batch.batchSeq = this.nextSeq++;
    batch.sentAtMs = Date.now();
    this.sealed.push(batch);
    this.updateDepth();
    this.opts.onSealed();
  }

  /** The oldest sealed batch, now in flight; hand it back with `release`. */
  take(): SealedBatch | undefined {
    const batch = this.sealed.shift();
    if (batch) this.inFlightReadings += batch.readings.length;
    return batch;
  }

  /** A batch left flight: acknowledged (forget it) or failed (back to the front, sent again). */
  release(batch: SealedBatch, acked: boolean): void {
    this.inFlightReadings -= batch.readings.length;
    if (!acked) this.sealed.unshift(batch);
    this.updateDepth();
  }

  get sealedCount(): number {
    return this.sealed.length;
  }

  /** Readings not yet acknowledged by the broker (open, sealed and in flight). */
  get depth(): number {
    return (this.open?.readings.length ?? 0) + this.sealed.reduce((n, b) => n + b.readings.length, 0) + this.inFlightReadings;
  }

  get dropped(): number {
    return this.droppedTotal;
  }

  /** Age of the oldest reading not yet handed to the broker, seconds. */
  oldestUnsentAgeS(now: number): number {
    const oldest = this.sealed[0]?.readings[0] ?? this.open?.readings[0];
    return oldest ? Math.max(0, Math.round((now - Number(oldest.timestampMs)) / 1000)) : 0;
  }

  stop(): void {
    if (this.sealTimer) clearTimeout(this.sealTimer);
    this.sealTimer = null;
  }

  private openBatch(): SealedBatch {
    if (!this.open) {
      this.open = { batchSeq: 0, sentAtMs: 0, readings: [], statuses: [] };
      this.sealTimer = setTimeout(() => this.seal(), this.opts.maxDelayMs);
    }
    return this.open;
  }

  private enforceBound(): void {
    let excess = this.depth - this.opts.maxQueuedReadings;
    while (excess > 0) {
      // Oldest first: sealed batches, then the open one (in-flight readings are the broker's now).
      const victim = this.sealed.find((b) => b.readings.length > 0) ?? this.open;
      if (!victim || victim.readings.length === 0) break;
      const n = Math.min(excess, victim.readings.length);
      victim.readings.splice(0, n);
      excess -= n;
      this.droppedTotal += n;
      this.opts.metrics.dropped.inc({ reason: 'queue-full' }, n);
    }
    // Batches emptied by dropping that carry no status either are not worth sending.
    for (let i = this.sealed.length - 1; i >= 0; i--) {
      const b = this.sealed[i]!;
      if (b.readings.length === 0 && b.statuses.length === 0) this.sealed.splice(i, 1);
    }
    this.updateDepth();
  }

  private updateDepth(): void {
    this.opts.metrics.queueDepth.set(this.depth);
  }
}

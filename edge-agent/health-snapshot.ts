import type { Clock } from '../service-kit/index.ts';
import type { BatchBuilder } from './batch-builder.ts';
import type { DeviceHealth } from './device-health.ts';
import type { EdgeMetrics } from './metrics.ts';
import type { StoreAndForwardQueue } from './store-and-forward-queue.ts';

/**
 * The gateway's health at one instant, the one source of `/healthz`, the
 * GatewayStatus message and the `/metrics` gauges: they used to count on their
 * own, and `/healthz` left out the readings of the open batch.
 */
export interface HealthSnapshot {
  brokerConnected: boolean;
  devicesTotal: number;
  devicesOnline: number;
  devicesOffline: number;
  /** Readings not yet acknowledged by the broker: in the disk queue plus the open batch. */
  queueDepth: number;
  queueBytes: number;
  queueBatches: number;
  oldestUnsentAgeS: number;
  /** Readings dropped since start: queue full (oldest first) plus those that could not be written or encoded. */
  dropped: number;
}

/**
 * Readings the batch builders could not store, kept by the agent: a reload
 * makes a new builder, and the count must not start again from zero.
 */
export interface StoreDrops {
  readings: number;
}

export interface HealthSources {
  queue: StoreAndForwardQueue;
  /** The current batch builder (replaced on reload). */
  batches: () => BatchBuilder;
  storeDrops: StoreDrops;
  health: DeviceHealth;
  brokerConnected: () => boolean;
  clock: Clock;
}

export function healthSnapshot(s: HealthSources): HealthSnapshot {
  const q = s.queue.stats();
  return {
    brokerConnected: s.brokerConnected(),
    devicesTotal: s.health.size,
    devicesOnline: s.health.count('online'),
    devicesOffline: s.health.count('offline'),
    queueDepth: q.readings + s.batches().openReadings,
    queueBytes: q.bytes,
    queueBatches: q.batches,
    oldestUnsentAgeS: q.oldestReadingAtMs === null ? 0 : Math.max(0, (s.clock.now() - q.oldestReadingAtMs) / 1000),
    dropped: q.droppedReadings + s.storeDrops.readings,
  };
}

/** Sets the `/metrics` gauges from a snapshot (once a second, and with every `/healthz`). */
export function setHealthGauges(metrics: EdgeMetrics, h: HealthSnapshot): void {
  metrics.queueDepth.set(h.queueDepth);
  metrics.queueBytes.set(h.queueBytes);
  metrics.queueBatches.set(h.queueBatches);
  metrics.oldestUnsentAge.set(h.oldestUnsentAgeS);
  metrics.devicesOnline.set(h.devicesOnline);
  metrics.devicesOffline.set(h.devicesOffline);
}

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createRegistry } from '../service-kit/index.ts';

export function createIngestMetrics() {
  const registry: Registry = createRegistry('ingest');
  const registers = [registry];
  /** Read when /metrics is scraped; set by whoever owns the number. */
  const sources = { lagMs: () => 0, devices: () => 0 };
  return {
    sources,
    registry,
    /** Plain totals for `stats()`. */
    counts: { received: 0, written: 0, rejected: 0, batches: 0, deadLettered: 0, writeErrors: 0, backpressurePauses: 0 },
    readingsReceived: new Counter({ name: 'tz_ingest_readings_received_total', help: 'Readings decoded from uplink batches', registers }),
    readingsWritten: new Counter({ name: 'tz_ingest_readings_written_total', help: 'Readings durable in InfluxDB', registers }),
    readingsRejected: new Counter({ name: 'tz_ingest_readings_rejected_total', help: 'Readings (or whole batches) refused and dead-lettered, by reason', labelNames: ['reason'], registers }),
    batches: new Counter({ name: 'tz_ingest_batches_total', help: 'Uplink batch messages settled (written or dead-lettered)', registers }),
    statuses: new Counter({ name: 'tz_ingest_device_statuses_total', help: 'DeviceStatus events applied to the device registry', registers }),
    deadLettered: new Counter({ name: 'tz_ingest_dead_lettered_total', help: 'Records written to the dead-letter store', labelNames: ['reason'], registers }),
    writeErrors: new Counter({ name: 'tz_ingest_write_errors_total', help: 'Failed InfluxDB write requests (retryable ones are retried)', labelNames: ['reason'], registers }),
    writeSeconds: new Histogram({ name: 'tz_ingest_write_seconds', help: 'Duration of one successful InfluxDB write request', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
    batchLines: new Histogram({ name: 'tz_ingest_write_batch_lines', help: 'Lines per InfluxDB write request (batched across messages)', buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10000], registers }),
    writesInFlight: new Gauge({ name: 'tz_ingest_writes_in_flight', help: 'InfluxDB write requests under way', registers }),
    bufferedReadings: new Gauge({ name: 'tz_ingest_buffered_readings', help: 'Readings accepted and not yet durable (the bounded buffer)', registers }),
    pendingMessages: new Gauge({ name: 'tz_ingest_pending_messages', help: 'MQTT messages received and not yet acknowledged', registers }),
    paused: new Gauge({ name: 'tz_ingest_intake_paused', help: '1 while ingest takes no more messages from the broker (buffer full)', registers }),
    pauses: new Counter({ name: 'tz_ingest_backpressure_pauses_total', help: 'Times the intake stopped taking messages because the buffer was full', registers }),
    lagSeconds: new Gauge({
      name: 'tz_ingest_lag_seconds', help: 'Now minus sent_at of the oldest unacknowledged batch (or of the last one settled when none is pending)', registers,
      collect() {
        this.set(sources.lagMs() / 1000);
      },
    }),
    influxReachable: new Gauge({ name: 'tz_ingest_influx_reachable', help: '1 when the last InfluxDB contact succeeded', registers }),
    devicesKnown: new Gauge({
      name: 'tz_ingest_devices_known', help: 'Devices in the registry', registers,
      collect() {
        this.set(sources.devices());
      },
    }),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;

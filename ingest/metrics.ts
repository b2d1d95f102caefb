import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createRegistry } from '../service-kit/index.ts';

export function createIngestMetrics() {
  const registry: Registry = createRegistry('ingest');
  const registers = [registry];
  return {
    registry,
    /** Plain totals for `stats()`. */
    counts: { received: 0, written: 0, rejected: 0, batches: 0, deadLettered: 0, writeErrors: 0 },
    readingsReceived: new Counter({ name: 'tz_ingest_readings_received_total', help: 'Readings decoded from uplink batches', registers }),
    readingsWritten: new Counter({ name: 'tz_ingest_readings_written_total', help: 'Readings durable in InfluxDB', registers }),
    readingsRejected: new Counter({ name: 'tz_ingest_readings_rejected_total', help: 'Readings (or whole batches) refused and dead-lettered', labelNames: ['reason'], registers }),
    batches: new Counter({ name: 'tz_ingest_batches_total', help: 'Uplink batch messages handled (acknowledged)', registers }),
    deadLettered: new Counter({ name: 'tz_ingest_dead_lettered_total', help: 'Records written to the dead-letter store', labelNames: ['reason'], registers }),
    writeErrors: new Counter({ name: 'tz_ingest_write_errors_total', help: 'Failed InfluxDB write attempts', labelNames: ['reason'], registers }),
    writeSeconds: new Histogram({ name: 'tz_ingest_write_seconds', help: 'Time to make one message durable in InfluxDB', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers }),
    pendingMessages: new Gauge({ name: 'tz_ingest_pending_messages', help: 'MQTT messages received and not yet acknowledged', registers }),
    influxReachable: new Gauge({ name: 'tz_ingest_influx_reachable', help: '1 when the last InfluxDB contact succeeded', registers }),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;

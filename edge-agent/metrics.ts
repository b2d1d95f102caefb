import { Counter, Gauge, type Registry } from 'prom-client';

export type PollFailureReason = 'timeout' | 'exception' | 'link' | 'decode';

/** The agent's Prometheus metrics; every drop and failure has a reason label. */
export function createEdgeMetrics(registry: Registry) {
  const registers = [registry];
  return {
    polls: new Counter({ name: 'tz_edge_polls_total', help: 'Device polls attempted', registers }),
    pollFailures: new Counter({ name: 'tz_edge_poll_failures_total', help: 'Device polls that failed, by reason', labelNames: ['reason'] as const, registers }),
    readings: new Counter({ name: 'tz_edge_readings_total', help: 'Readings produced from successful polls', registers }),
    statusChanges: new Counter({ name: 'tz_edge_device_status_changes_total', help: 'Device status changes reported, by state', labelNames: ['state'] as const, registers }),
    batchesPublished: new Counter({ name: 'tz_edge_batches_published_total', help: 'Uplink batches handed to the MQTT client', registers }),
    batchesAcked: new Counter({ name: 'tz_edge_batches_acked_total', help: 'Uplink batches acknowledged by the broker (PUBACK)', registers }),
    dropped: new Counter({ name: 'tz_edge_readings_dropped_total', help: 'Readings dropped by the gateway, by reason', labelNames: ['reason'] as const, registers }),
    queueDepth: new Gauge({ name: 'tz_edge_queue_depth', help: 'Readings sealed or in flight, not yet acknowledged by the broker', registers }),
    devicesOnline: new Gauge({ name: 'tz_edge_devices_online', help: 'Devices whose last poll succeeded', registers }),
    brokerConnected: new Gauge({ name: 'tz_edge_broker_connected', help: '1 while the MQTT session is up', registers }),
    brokerAuthFailures: new Counter({ name: 'tz_edge_broker_auth_failures_total', help: 'Connections refused for bad credentials (CONNACK 4/5)', registers }),
    brokerErrors: new Counter({ name: 'tz_edge_broker_errors_total', help: 'MQTT connection errors, by reason', labelNames: ['reason'] as const, registers }),
    busConnectFailures: new Counter({ name: 'tz_edge_bus_connect_failures_total', help: 'Failed Modbus TCP connects', registers }),
  };
}

export type EdgeMetrics = ReturnType<typeof createEdgeMetrics>;

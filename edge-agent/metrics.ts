import { Counter, Gauge, type Registry } from 'prom-client';

export type PollFailureReason = 'timeout' | 'exception' | 'link' | 'decode';

/** The agent's Prometheus metrics; every drop and failure has a reason label. */
export function createEdgeMetrics(registry: Registry) {
  const registers = [registry];
  return {
    polls: new Counter({ name: 'tz_edge_polls_total', help: 'Device polls attempted', registers }),
    pollFailures: new Counter({ name: 'tz_edge_poll_failures_total', help: 'Device polls that failed, by reason', labelNames: ['reason'] as const, registers }),
    requestRetries: new Counter({ name: 'tz_edge_modbus_retries_total', help: 'Modbus requests tried again after a timeout', registers }),
    readings: new Counter({ name: 'tz_edge_readings_total', help: 'Readings produced (polls and uplinks with something to report)', registers }),
    valuesSuppressed: new Counter({ name: 'tz_edge_values_suppressed_total', help: 'Metric values not sent: inside their deadband and max interval not reached', registers }),
    statusChanges: new Counter({ name: 'tz_edge_device_status_changes_total', help: 'Device status changes reported, by state', labelNames: ['state'] as const, registers }),
    batchesSealed: new Counter({ name: 'tz_edge_batches_sealed_total', help: 'Uplink batches written to the disk queue', registers }),
    batchesPublished: new Counter({ name: 'tz_edge_batches_published_total', help: 'Uplink batches handed to the MQTT client, by lane', labelNames: ['lane'] as const, registers }),
    batchesAcked: new Counter({ name: 'tz_edge_batches_acked_total', help: 'Uplink batches acknowledged by the broker (PUBACK) and removed from the queue', registers }),
    queueRemoveFailures: new Counter({ name: 'tz_edge_queue_remove_failures_total', help: 'Acknowledged batches the queue could not delete yet (disk full); retried, never resent', registers }),
    batchesDropped: new Counter({ name: 'tz_edge_batches_dropped_total', help: 'Batches dropped from the full disk queue (oldest first)', registers }),
    dropped: new Counter({ name: 'tz_edge_readings_dropped_total', help: 'Readings dropped by the gateway, by reason', labelNames: ['reason'] as const, registers }),
    queueDepth: new Gauge({ name: 'tz_edge_queue_depth', help: 'Readings in the disk queue, not yet acknowledged by the broker', registers }),
    queueBytes: new Gauge({ name: 'tz_edge_queue_bytes', help: 'Bytes in the disk queue', registers }),
    queueBatches: new Gauge({ name: 'tz_edge_queue_batches', help: 'Batches in the disk queue', registers }),
    oldestUnsentAge: new Gauge({ name: 'tz_edge_oldest_unsent_age_seconds', help: 'Age of the oldest reading not yet acknowledged by the broker', registers }),
    devicesOnline: new Gauge({ name: 'tz_edge_devices_online', help: 'Devices currently online', registers }),
    devicesOffline: new Gauge({ name: 'tz_edge_devices_offline', help: 'Devices currently offline', registers }),
    deviceUp: new Gauge({ name: 'tz_edge_device_up', help: 'Per device: 1 online, 0 offline (absent until first contact)', labelNames: ['device_id'] as const, registers }),
    brokerConnected: new Gauge({ name: 'tz_edge_broker_connected', help: '1 while the MQTT session is up', registers }),
    brokerAuthFailures: new Counter({ name: 'tz_edge_broker_auth_failures_total', help: 'Connections refused for bad credentials (CONNACK 4/5)', registers }),
    brokerErrors: new Counter({ name: 'tz_edge_broker_errors_total', help: 'MQTT connection errors, by reason', labelNames: ['reason'] as const, registers }),
    busConnectFailures: new Counter({ name: 'tz_edge_bus_connect_failures_total', help: 'Failed Modbus TCP connects or serial port opens', registers }),
    loraFrames: new Counter({ name: 'tz_edge_lora_frames_total', help: 'LoRaWAN frames received, by outcome', labelNames: ['outcome'] as const, registers }),
    loraRssi: new Gauge({ name: 'tz_edge_lora_rssi_dbm', help: 'RSSI of the last uplink per LoRa device', labelNames: ['device_id'] as const, registers }),
    loraSnr: new Gauge({ name: 'tz_edge_lora_snr_db', help: 'SNR of the last uplink per LoRa device', labelNames: ['device_id'] as const, registers }),
    loraDownlinks: new Counter({ name: 'tz_edge_lora_downlinks_total', help: 'LoRaWAN downlinks (PULL_RESP), by outcome', labelNames: ['outcome'] as const, registers }),
    codecErrors: new Counter({ name: 'tz_edge_codec_errors_total', help: 'Codec calls that returned errors, timed out or hit the memory limit', registers }),
    commands: new Counter({ name: 'tz_edge_commands_total', help: 'Commands answered, by result', labelNames: ['result'] as const, registers }),
    fieldFrames: new Counter({ name: 'tz_edge_field_frames_total', help: 'CJ/T 188, DL/T 645 and HJ 212 frames accepted, by protocol', labelNames: ['protocol'] as const, registers }),
    fieldRejects: new Counter({ name: 'tz_edge_field_rejects_total', help: 'Field-protocol frames, polls and connections rejected, by protocol and reason', labelNames: ['protocol', 'reason'] as const, registers }),
    hj212Connections: new Gauge({ name: 'tz_edge_hj212_connections', help: 'HJ 212 station connections open', registers }),
    reloads: new Counter({ name: 'tz_edge_config_reloads_total', help: 'SIGHUP config reloads, by outcome', labelNames: ['outcome'] as const, registers }),
  };
}

export type EdgeMetrics = ReturnType<typeof createEdgeMetrics>;

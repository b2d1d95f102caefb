import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

// Datasource uids are fixed so the provisioned datasources
// (provisioning/datasources/tianzhong.yaml) and the generated dashboards
// find each other without a manual pick in Grafana.

/** Telemetry: InfluxDB queried with InfluxQL (1.x, 2.x v1-compat and 3.x all serve it). */
export const INFLUX_DS: DataSourceRef = { type: 'influxdb', uid: 'tz-influxdb' };
/** Pipeline health: every service's `/metrics`, scraped by Prometheus. */
export const PROMETHEUS_DS: DataSourceRef = { type: 'prometheus', uid: 'tz-prometheus' };

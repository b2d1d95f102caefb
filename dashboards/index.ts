// The dashboards room: Grafana dashboards generated from the device profiles
// (with their provisioning files) and the ops web console served by the
// rules service. It talks to the other services over HTTP/MQTT only.
export { buildDashboards, renderGrafanaFiles, writeGrafanaFiles, staleGrafanaFiles, GRAFANA_DIR, DEFAULT_DASHBOARDS_PATH, type GeneratedFile, type GrafanaBuildOptions } from './grafana/build.ts';
export { InfluxQLQueryBuilder, type InfluxQLQuery, type InfluxResultFormat } from './grafana/influxql-query.ts';
export { INFLUX_DS, PROMETHEUS_DS } from './grafana/datasources.ts';
export { registerConsoleRoutes, CONSOLE_STATIC_DIR, type ConsoleOptions } from './console/routes.ts';
export { connectMqttAlarmFeed, AlarmFanOut, type AlarmFeed, type AlarmEventListener, type MqttAlarmFeedOptions } from './console/alarm-feed.ts';
export { DeviceDirectory, type ConsoleDevice, type DeviceHistory, type DeviceState, type SiteDevice } from './console/device-directory.ts';
export type { RegistryDeviceFacts } from './console/device-directory.ts';

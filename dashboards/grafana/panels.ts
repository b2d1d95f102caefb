import { DashboardLinkBuilder, DashboardLinkType, QueryVariableBuilder, VariableRefresh, VariableSort } from '@grafana/grafana-foundation-sdk/dashboard';
import type { MetricSpec } from '../../device-profiles/index.ts';
import { INFLUX_DS, PROMETHEUS_DS } from './datasources.ts';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import { ident } from './influxql-query.ts';

// Pieces every generated dashboard shares: the links between them and the
// InfluxQL template variables.

export const DASHBOARD_TAG = 'tianzhong';

/** One dropdown linking every Tianzhong dashboard, so an operator never hunts for them. */
export function tianzhongLinks(): DashboardLinkBuilder {
  return new DashboardLinkBuilder('Tianzhong').type(DashboardLinkType.Dashboards).tags([DASHBOARD_TAG]).asDropdown(true).includeVars(false).keepTime(true);
}

/** `$district`: the districts the class reports from; All = `.*` so untagged devices stay visible. */
export function districtVariable(measurement: string): QueryVariableBuilder {
  const query = `SHOW TAG VALUES FROM ${ident(measurement)} WITH KEY = "district"`;
  return multiSelectVariable('district', 'District', INFLUX_DS, query);
}

/** A dropdown of a query's values, several at once, All = `.*`, refreshed with the time range, sorted. */
export function multiSelectVariable(name: string, label: string, datasource: DataSourceRef, query: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(datasource)
    .query(query)
    .definition(query)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ selected: true, text: 'All', value: '$__all' })
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc);
}

/** `$device`: one device of the class, narrowed by `$district` (InfluxQL `SHOW TAG VALUES`). */
export function deviceVariable(measurement: string): QueryVariableBuilder {
  const query = `SHOW TAG VALUES FROM ${ident(measurement)} WITH KEY = "device" WHERE "district" =~ /^$district$/`;
  return new QueryVariableBuilder('device')
    .label('Device')
    .datasource(INFLUX_DS)
    .query(query)
    .definition(query)
    .multi(false)
    .includeAll(false)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc);
}

/** Grafana unit id for a profile unit; unknown units become a suffix. */
export function grafanaUnit(metric: MetricSpec): string {
  const known: Record<string, string> = { '%': 'percent', degC: 'celsius', deg: 'degree', mm: 'lengthmm', cm: 'suffix: cm', m: 'lengthm', ppm: 'ppm', dB: 'dB', dBA: 'suffix: dB(A)', dBm: 'dBm', V: 'volt', A: 'amp', W: 'watt', kW: 'kwatt', kWh: 'kwatth', lux: 'lux', 'm3': 'm3', L: 'litre', 'L/h': 'suffix: L/h', 'm3/h': 'flowcms' };
  if (!metric.unit) return metric.type === 'boolean' ? 'bool_on_off' : 'short';
  return known[metric.unit] ?? `suffix: ${metric.unit}`;
}

export function metricTitle(metric: MetricSpec): string {
  const words = metric.name.replace(/_(pct|deg|mm|cm|ppm|c|lel|db|dba|v|a|w|kw|kwh|lux|m3|l|h)(?=_|$)/g, '').replace(/_/g, ' ');
  const title = words.charAt(0).toUpperCase() + words.slice(1);
  return metric.unit ? `${title} (${metric.unit})` : title;
}

// Registry-backed variables (issue 15): grid cell (网格), asset and tags are
// facts of the device registry, not InfluxDB tags, so they come from the
// rules service's info gauges on Prometheus (registry/device-info-metrics.ts:
// tz_registry_device_info{device, class, district, grid_cell, asset, …} and
// tz_registry_device_tag{device, class, tag}). `$registry_device` turns the
// choice into device ids that InfluxQL panels filter "device" by.

/** The PromQL selector of one class's registered devices in the chosen district, grid cell and asset. */
export const registrySelector = (cls: string): string => `tz_registry_device_info{class="${cls}",district=~"$district",grid_cell=~"$grid_cell",asset=~"$asset"}`;

function registryVariable(name: string, label: string, query: string): QueryVariableBuilder {
  return multiSelectVariable(name, label, PROMETHEUS_DS, query);
}

/** `$grid_cell`, `$asset`, `$tag` and `$registry_device` for one class (after `$district`). */
export function registryVariables(cls: string): QueryVariableBuilder[] {
  // A device without tags has one tag series without the label, so tag=~".*" keeps it.
  const devices = `query_result(${registrySelector(cls)} and on(device) tz_registry_device_tag{class="${cls}",tag=~"$tag"})`;
  return [
    registryVariable('grid_cell', 'Grid cell 网格 (registry)', `label_values(tz_registry_device_info{class="${cls}",district=~"$district"}, grid_cell)`),
    registryVariable('asset', 'Asset 资产 (registry)', `label_values(tz_registry_device_info{class="${cls}",district=~"$district",grid_cell=~"$grid_cell"}, asset)`),
    registryVariable('tag', 'Tag 标签 (registry)', `label_values(tz_registry_device_tag{class="${cls}"}, tag)`),
    // Every matching device; "All" expands to exactly these (no allValue), so the InfluxQL filter follows the choice.
    new QueryVariableBuilder('registry_device')
      .label('Devices (registry)')
      .datasource(PROMETHEUS_DS)
      .query(devices)
      .definition(devices)
      .regex('/device="([^"]+)"/')
      .multi(true)
      .includeAll(true)
      .current({ selected: true, text: 'All', value: '$__all' })
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .sort(VariableSort.AlphabeticalAsc),
  ];
}

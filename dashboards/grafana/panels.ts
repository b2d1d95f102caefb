import { DashboardLinkBuilder, DashboardLinkType, QueryVariableBuilder, VariableRefresh, VariableSort } from '@grafana/grafana-foundation-sdk/dashboard';
import type { MetricSpec } from '../../device-profiles/index.ts';
import { INFLUX_DS } from './datasources.ts';
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
  return new QueryVariableBuilder('district')
    .label('District')
    .datasource(INFLUX_DS)
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

import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { ReduceDataOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { PanelBuilder as StateTimelinePanel } from '@grafana/grafana-foundation-sdk/statetimeline';
import type { DeviceProfile } from '../../device-profiles/index.ts';
import { DataqueryBuilder as PromQuery, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { INFLUX_DS, PROMETHEUS_DS } from './datasources.ts';
import { InfluxQLQueryBuilder, ident } from './influxql-query.ts';
import { drilldownUid } from './class-overview.ts';
import { DASHBOARD_TAG, deviceVariable, districtVariable, grafanaUnit, metricTitle, tianzhongLinks } from './panels.ts';

// One device of a class, picked with the `$device` variable: its latest
// values, every numeric metric over time, on/off states as a timeline, and
// how regularly it reports (gaps show as missing readings).

export function deviceDrilldown(profile: DeviceProfile): Dashboard {
  const m = ident(profile.measurement);
  const ofDevice = `"device" =~ /^$device$/ AND $timeFilter`;
  const builder = new DashboardBuilder(`${profile.title} — device`)
    .uid(drilldownUid(profile))
    .description(`Generated from device profile ${profile.class} v${profile.version} by \`tianzhong dashboards build\`; edits in Grafana are overwritten.`)
    .tags([DASHBOARD_TAG, profile.class, 'device'])
    .time({ from: 'now-24h', to: 'now' })
    .refresh('1m')
    .timezone('browser')
    .readonly()
    .link(tianzhongLinks())
    .withVariable(districtVariable(profile.measurement))
    .withVariable(deviceVariable(profile.measurement));

  builder.withRow(new RowBuilder('Latest values of $device'));
  const statWidth = Math.max(3, Math.floor(24 / Math.min(profile.metrics.length, 8)));
  for (const metric of profile.metrics) {
    builder.withPanel(
      new StatPanel().title(metricTitle(metric)).description(metric.description).height(4).span(statWidth).datasource(INFLUX_DS).unit(grafanaUnit(metric))
        .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
        .withTarget(new InfluxQLQueryBuilder(`SELECT last(${ident(metric.name)}) FROM ${m} WHERE ${ofDevice}`).datasource(INFLUX_DS)),
    );
  }

  builder.withRow(new RowBuilder('History'));
  for (const metric of profile.metrics) {
    const f = ident(metric.name);
    if (metric.type === 'boolean') {
      builder.withPanel(
        new StateTimelinePanel().title(metricTitle(metric)).description(metric.description).height(5).span(24).datasource(INFLUX_DS)
          .withTarget(new InfluxQLQueryBuilder(`SELECT last(${f}) FROM ${m} WHERE ${ofDevice} GROUP BY time($__interval) fill(previous)`).alias(metric.name).datasource(INFLUX_DS)),
      );
      continue;
    }
    const panel = new TimeseriesPanel().title(metricTitle(metric)).description(metric.description).height(8).span(12).datasource(INFLUX_DS).unit(grafanaUnit(metric))
      .withTarget(new InfluxQLQueryBuilder(`SELECT mean(${f}) AS "mean", min(${f}) AS "min", max(${f}) AS "max" FROM ${m} WHERE ${ofDevice} GROUP BY time($__interval) fill(none)`).alias('$col').datasource(INFLUX_DS));
    if (metric.min !== undefined) panel.min(metric.min);
    if (metric.max !== undefined) panel.max(metric.max);
    builder.withPanel(panel);
  }

  builder.withRow(new RowBuilder('Reporting'));
  builder.withPanel(
    new TimeseriesPanel().title('Readings per interval').description(`A healthy device reports every ${profile.reportIntervalSeconds} s; gaps are missed reports`).height(6).span(24).datasource(INFLUX_DS).unit('short').min(0)
      .withTarget(new InfluxQLQueryBuilder(`SELECT count("seq") FROM ${m} WHERE ${ofDevice} GROUP BY time($__interval) fill(0)`).alias('readings').datasource(INFLUX_DS)),
  );
  // Where the registry has it (rules service with --registry-db): district, grid cell, asset, gateway, lifecycle state.
  builder.withPanel(
    new TablePanel().title('Registry facts of $device').description('From the device registry (tz_registry_device_info on the rules service /metrics); empty without a registry').height(4).span(24).datasource(PROMETHEUS_DS)
      .withTarget(new PromQuery().expr('max by (device, class, gateway, district, grid_cell, asset, state) (tz_registry_device_info{device=~"$device"})').instant().format(PromQueryFormat.Table).refId('A').datasource(PROMETHEUS_DS)),
  );
  return builder.build();
}

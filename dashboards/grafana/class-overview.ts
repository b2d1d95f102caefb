import { DashboardBuilder, DashboardLinkBuilder, DashboardLinkType, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { ReduceDataOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import type { DeviceProfile } from '../../device-profiles/index.ts';
import { DataqueryBuilder as PromQuery } from '@grafana/grafana-foundation-sdk/prometheus';
import { INFLUX_DS, PROMETHEUS_DS } from './datasources.ts';
import { InfluxQLQueryBuilder, ident } from './influxql-query.ts';
import { DASHBOARD_TAG, districtVariable, grafanaUnit, metricTitle, registrySelector, registryVariables, tianzhongLinks } from './panels.ts';

// One overview per device class: how many devices report, each numeric
// metric per district, how often each on/off state was on, and the latest
// values of every device (with a link to the drill-down).

export const overviewUid = (profile: DeviceProfile): string => `tz-${profile.class}-overview`;
export const drilldownUid = (profile: DeviceProfile): string => `tz-${profile.class}-device`;

const lastValue = (): ReduceDataOptionsBuilder => new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);

export function classOverview(profile: DeviceProfile): Dashboard {
  const m = ident(profile.measurement);
  const inDistrict = `"district" =~ /^$district$/ AND $timeFilter`;
  const builder = new DashboardBuilder(`${profile.title} — overview`)
    .uid(overviewUid(profile))
    .description(`Generated from device profile ${profile.class} v${profile.version} (measurement ${profile.measurement}) by \`tianzhong dashboards build\`; edits in Grafana are overwritten.`)
    .tags([DASHBOARD_TAG, profile.class, 'overview'])
    .time({ from: 'now-24h', to: 'now' })
    .refresh('1m')
    .timezone('browser')
    .readonly()
    .link(tianzhongLinks())
    .withVariable(districtVariable(profile.measurement));
  for (const v of registryVariables(profile.class)) builder.withVariable(v);

  builder.withRow(new RowBuilder('Fleet'));
  builder.withPanel(
    new StatPanel().title('Devices reporting').description('Devices with at least one reading in the time range').height(5).span(6).datasource(INFLUX_DS).reduceOptions(lastValue())
      .withTarget(new InfluxQLQueryBuilder(`SELECT count("last") FROM (SELECT last("seq") FROM ${m} WHERE ${inDistrict} GROUP BY "device")`).datasource(INFLUX_DS)),
  );
  builder.withPanel(
    new StatPanel().title('Readings stored').height(5).span(6).datasource(INFLUX_DS).reduceOptions(lastValue())
      .withTarget(new InfluxQLQueryBuilder(`SELECT count("seq") FROM ${m} WHERE ${inDistrict}`).datasource(INFLUX_DS)),
  );
  builder.withPanel(
    new TimeseriesPanel().title('Readings per interval by district').height(5).span(12).datasource(INFLUX_DS).unit('short')
      .withTarget(new InfluxQLQueryBuilder(`SELECT count("seq") FROM ${m} WHERE ${inDistrict} GROUP BY time($__interval), "district" fill(0)`).alias('$tag_district').datasource(INFLUX_DS)),
  );

  builder.withRow(new RowBuilder('Metrics by district'));
  for (const metric of profile.metrics) {
    const f = ident(metric.name);
    if (metric.type === 'boolean') {
      builder.withPanel(
        new TimeseriesPanel().title(`${metricTitle(metric)}: readings on`).description(metric.description).height(8).span(12).datasource(INFLUX_DS).unit('short').min(0)
          .withTarget(new InfluxQLQueryBuilder(`SELECT count(${f}) FROM ${m} WHERE ${f} = true AND ${inDistrict} GROUP BY time($__interval), "district" fill(0)`).alias('$tag_district').datasource(INFLUX_DS)),
      );
      continue;
    }
    const panel = new TimeseriesPanel().title(metricTitle(metric)).description(metric.description).height(8).span(12).datasource(INFLUX_DS).unit(grafanaUnit(metric))
      .withTarget(new InfluxQLQueryBuilder(`SELECT mean(${f}) FROM ${m} WHERE ${inDistrict} GROUP BY time($__interval), "district" fill(none)`).alias('$tag_district').datasource(INFLUX_DS));
    if (metric.min !== undefined) panel.min(metric.min);
    if (metric.max !== undefined) panel.max(metric.max);
    builder.withPanel(panel);
  }

  builder.withRow(new RowBuilder('Devices'));
  const lastValues = profile.metrics.map((metric) => `last(${ident(metric.name)}) AS ${ident(metric.name)}`).join(', ');
  builder.withPanel(
    new TablePanel().title('Latest values per device').description('Click a device for its drill-down').height(12).span(24).datasource(INFLUX_DS)
      .dataLinks([new DashboardLinkBuilder('Open device').type(DashboardLinkType.Link).url(`/d/${drilldownUid(profile)}?var-district=$\{__data.fields.district}&var-device=$\{__data.fields.device}&$\{__url_time_range}`)])
      .withTarget(new InfluxQLQueryBuilder(`SELECT ${lastValues} FROM ${m} WHERE ${inDistrict} GROUP BY "device", "district"`).resultFormat('table').datasource(INFLUX_DS)),
  );

  // The devices the registry places in the chosen grid cell / asset / tag (Prometheus info gauges → device ids → InfluxQL).
  builder.withRow(new RowBuilder('Registry selection: grid cell $grid_cell · asset $asset · tag $tag'));
  const selected = `"device" =~ /^$registry_device$/ AND $timeFilter`;
  builder.withPanel(
    new StatPanel().title('Devices selected in the registry').description('Registered devices of this class in the chosen district, grid cell, asset and tag').height(5).span(6).datasource(PROMETHEUS_DS).reduceOptions(lastValue())
      .withTarget(new PromQuery().expr(`count(${registrySelector(profile.class)} and on(device) tz_registry_device_tag{class="${profile.class}",tag=~"$tag"})`).legendFormat('devices').refId('A').datasource(PROMETHEUS_DS)),
  );
  builder.withPanel(
    new TimeseriesPanel().title('Readings per interval — registry selection').height(5).span(18).datasource(INFLUX_DS).unit('short')
      .withTarget(new InfluxQLQueryBuilder(`SELECT count("seq") FROM ${m} WHERE ${selected} GROUP BY time($__interval), "device" fill(0)`).alias('$tag_device').datasource(INFLUX_DS)),
  );
  builder.withPanel(
    new TablePanel().title('Latest values — registry selection').height(10).span(24).datasource(INFLUX_DS)
      .dataLinks([new DashboardLinkBuilder('Open device').type(DashboardLinkType.Link).url(`/d/${drilldownUid(profile)}?var-device=$\{__data.fields.device}&$\{__url_time_range}`)])
      .withTarget(new InfluxQLQueryBuilder(`SELECT ${lastValues} FROM ${m} WHERE ${selected} GROUP BY "device"`).resultFormat('table').datasource(INFLUX_DS)),
  );
  return builder.build();
}

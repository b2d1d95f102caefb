// Every InfluxQL query in the generated Grafana dashboards (panel targets and
// template variables) runs against a real influxd filled with simulated
// telemetry in the ARCHITECTURE.md layout, and returns series with values.
// Grafana's macros are substituted here the way Grafana renders them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadProfiles } from '../../device-profiles/index.ts';
import { buildDashboards, INFLUX_DS } from '../../dashboards/index.ts';
import { queryInfluxQL, type InfluxSeries } from '../../service-kit/index.ts';
import { startInfluxd, writeSimulatedTelemetry, type TestInfluxd } from './helpers.ts';

const profiles = loadProfiles().all();
const dashboards = buildDashboards(profiles);
const END = Date.now();
let influx: TestInfluxd;
let devices: Map<string, string[]>;

interface Target { refId: string; query?: string; rawQuery?: boolean; datasource?: { type?: string; uid?: string } }
interface PanelLike { title?: string; type: string; datasource?: { uid?: string }; targets?: Target[]; panels?: PanelLike[] }

function panelsOf(d: { panels?: PanelLike[] }): PanelLike[] {
  return (d.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** What Grafana sends for `$timeFilter`, `$__interval` and the template variables. */
function render(query: string, vars: { device: string; district: string; registryDevices?: string[] }, fromMs: number, toMs: number): string {
  const escape = (id: string): string => id.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  return query
    // A multi-value variable in a regex: Grafana writes (a|b|c), each value escaped.
    .replaceAll('$registry_device', `(${(vars.registryDevices ?? [vars.device]).map(escape).join('|')})`)
    .replaceAll('$timeFilter', `time >= ${fromMs}ms and time <= ${toMs}ms`)
    .replaceAll('$__interval', '10m')
    .replaceAll('$device', vars.device.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))
    .replaceAll('$district', vars.district);
}

function hasValues(series: InfluxSeries[]): boolean {
  return series.some((s) => s.values.some((row) => row.slice(1).some((v) => v !== null && v !== undefined)));
}

test.before(async () => {
  influx = await startInfluxd();
  devices = await writeSimulatedTelemetry(influx, { profiles, devicesPerClass: 4, readingsPerDevice: 144, everyMs: 600_000, endMs: END });
});

test.after(async () => {
  await influx?.stop();
});

test('every generated InfluxQL panel query returns series with values', async () => {
  let checked = 0;
  for (const dashboard of dashboards) {
    const cls = profiles.find((p) => dashboard.uid?.startsWith(`tz-${p.class}-`))?.class;
    const device = cls ? devices.get(cls)![1]! : '';
    for (const panel of panelsOf(dashboard as { panels?: PanelLike[] })) {
      for (const target of panel.targets ?? []) {
        if (target.datasource?.uid !== INFLUX_DS.uid) continue;
        assert.ok(target.rawQuery, `${dashboard.uid} / ${panel.title}: InfluxQL targets are raw queries`);
        for (const district of ['.*', 'gulou']) {
          const query = render(target.query!, { device, district }, END - 24 * 3600_000, END + 1000);
          assert.not.match(query, /\$[a-z_]/i, `${dashboard.uid} / ${panel.title}: macro left in ${query}`);
          const series = await queryInfluxQL(influx, query);
          assert.ok(series.length > 0 && hasValues(series), `${dashboard.uid} / ${panel.title} (district ${district}) returned no values: ${query}`);
          checked += 1;
        }
      }
    }
  }
  // 4 classes × (overview + drill-down) + pipeline health, each several panels
  assert.ok(checked > 60, `only ${checked} InfluxQL queries checked`);
});

test('template variables list the simulated devices and districts', async () => {
  for (const dashboard of dashboards) {
    for (const variable of dashboard.templating?.list ?? []) {
      // Registry variables are PromQL (test/integration/dashboards-prometheus.test.ts).
      if ((variable.datasource as { uid?: string } | undefined)?.uid !== INFLUX_DS.uid) continue;
      const query = render(String(variable.query), { device: '', district: '.*' }, 0, 0);
      const series = await queryInfluxQL(influx, query);
      const values = series.flatMap((s) => s.values.map((row) => String(row[1])));
      const cls = profiles.find((p) => dashboard.uid?.startsWith(`tz-${p.class}-`))!.class;
      if (variable.name === 'device') assert.equal(values.sort(), [...devices.get(cls)!].sort(), `${dashboard.uid}: $device values`);
      else assert.equal(values.sort(), ['gulou', 'xuanwu'], `${dashboard.uid}: $district values`);
    }
  }
});

test('the registry selection row counts only the devices the registry variables chose', async () => {
  const pole = profiles.find((p) => p.class === 'smart-pole')!;
  const overview = dashboards.find((d) => d.uid === 'tz-smart-pole-overview')!;
  const readings = panelsOf(overview as { panels?: PanelLike[] }).find((p) => p.title === 'Readings per interval — registry selection')!;
  const chosen = devices.get(pole.class)!.slice(0, 2);
  const query = render(readings.targets![0]!.query!, { device: '', district: '.*', registryDevices: chosen }, END - 24 * 3600_000, END + 1000);
  const series = await queryInfluxQL(influx, query);
  assert.equal(series.map((s) => s.tags?.device).sort(), [...chosen].sort(), 'one series per chosen device, no other');
});

test('the drill-down narrows to the chosen device', async () => {
  const manhole = profiles.find((p) => p.class === 'manhole-cover')!;
  const drill = dashboards.find((d) => d.uid === 'tz-manhole-cover-device')!;
  const readings = panelsOf(drill as { panels?: PanelLike[] }).find((p) => p.title === 'Readings per interval')!;
  const query = render(readings.targets![0]!.query!, { device: devices.get(manhole.class)![0]!, district: '.*' }, END - 24 * 3600_000, END + 1000);
  const series = await queryInfluxQL(influx, query);
  const total = series.flatMap((s) => s.values).reduce((sum, row) => sum + Number(row[1] ?? 0), 0);
  assert.is(total, 144, 'one device, 144 readings in 24 h');
});

test.run();

// The generated Grafana files: checked in and up to date, one overview and
// one drill-down per device class, a pipeline-health dashboard whose
// Prometheus queries name metrics the services really export.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { loadProfiles } from '../../device-profiles/index.ts';
import { buildDashboards, renderGrafanaFiles, staleGrafanaFiles, writeGrafanaFiles, GRAFANA_DIR, INFLUX_DS, PROMETHEUS_DS } from '../index.ts';

const profiles = loadProfiles().all();
const dashboards = buildDashboards(profiles);
type Panel = { id?: number; type: string; title?: string; datasource?: { uid?: string }; targets?: Array<{ refId?: string; query?: string; expr?: string; datasource?: { uid?: string } }> };
const panelsOf = (d: unknown): Panel[] => ((d as { panels?: Panel[] }).panels ?? []);

test('checked-in dashboards/grafana equals a fresh build (run `tianzhong dashboards build`)', () => {
  assert.equal(staleGrafanaFiles(renderGrafanaFiles(profiles)), []);
});

test('a build into an empty folder is complete and then not stale; stale dashboards are removed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tz-grafana-'));
  try {
    const files = renderGrafanaFiles(profiles);
    assert.is(staleGrafanaFiles(files, dir).length, files.length);
    writeGrafanaFiles(files, dir);
    assert.equal(staleGrafanaFiles(files, dir), []);
    const fewer = renderGrafanaFiles(profiles.filter((p) => p.class !== 'water-meter'));
    // pipeline health lists the measurements, so it changes too
    assert.equal(staleGrafanaFiles(fewer, dir).sort(), ['dashboards/tz-pipeline-health.json', 'dashboards/tz-water-meter-device.json', 'dashboards/tz-water-meter-overview.json']);
    const { removed } = writeGrafanaFiles(fewer, dir);
    assert.is(removed.length, 2);
    assert.equal(readdirSync(join(dir, 'dashboards')).length, fewer.length - 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one overview and one device drill-down per device class, plus pipeline health', () => {
  const uids = dashboards.map((d) => d.uid);
  for (const p of profiles) {
    assert.ok(uids.includes(`tz-${p.class}-overview`), p.class);
    assert.ok(uids.includes(`tz-${p.class}-device`), p.class);
  }
  assert.ok(uids.includes('tz-pipeline-health'));
  assert.is(new Set(uids).size, uids.length, 'uids unique');
});

test('every panel has a unique id and a datasource; targets have unique refIds', () => {
  for (const d of dashboards) {
    const ids = panelsOf(d).map((p) => p.id);
    assert.is(new Set(ids).size, ids.length, `${d.uid}: panel ids unique`);
    for (const p of panelsOf(d).filter((p) => p.type !== 'row')) {
      assert.ok(p.datasource?.uid === INFLUX_DS.uid || p.datasource?.uid === PROMETHEUS_DS.uid, `${d.uid}/${p.title}: datasource`);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      assert.ok(refIds.length > 0, `${d.uid}/${p.title}: has a query`);
      assert.is(new Set(refIds).size, refIds.length, `${d.uid}/${p.title}: refIds unique`);
    }
  }
});

test('overviews chart every profile metric; drill-downs use the $device variable from SHOW TAG VALUES', () => {
  for (const p of profiles) {
    const overview = dashboards.find((d) => d.uid === `tz-${p.class}-overview`)!;
    const queries = panelsOf(overview).flatMap((x) => x.targets ?? []).filter((t) => t.datasource?.uid === INFLUX_DS.uid).map((t) => t.query ?? '');
    for (const m of p.metrics) assert.ok(queries.some((q) => q.includes(`"${m.name}"`)), `${p.class}: ${m.name} charted`);
    assert.ok(queries.every((q) => q.includes(`FROM "${p.measurement}"`) || q.includes(`FROM (SELECT`)), `${p.class}: measurement ${p.measurement}`);
    const drill = dashboards.find((d) => d.uid === `tz-${p.class}-device`)!;
    const device = drill.templating?.list?.find((v) => v.name === 'device');
    assert.match(String(device?.query), `SHOW TAG VALUES FROM "${p.measurement}" WITH KEY = "device"`);
    for (const x of panelsOf(drill).filter((x) => x.type !== 'row')) assert.ok((x.targets ?? []).every((t) => t.query?.includes('"device" =~ /^$device$/') || t.expr?.includes('device=~"$device"')), `${p.class}/${x.title}: filtered by $device`);
  }
});

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.') || name === 'var' || name === 'dashboards' || name === 'test') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

test('pipeline health queries Prometheus for metrics the services export', () => {
  const health = dashboards.find((d) => d.uid === 'tz-pipeline-health')!;
  const exprs = panelsOf(health).flatMap((p) => p.targets ?? []).filter((t) => t.datasource?.uid === PROMETHEUS_DS.uid).map((t) => t.expr ?? '');
  assert.ok(exprs.length >= 15);
  const source = sourceFiles(join(GRAFANA_DIR, '../..')).map((f) => readFileSync(f, 'utf8')).join('\n');
  const names = new Set(exprs.flatMap((e) => [...e.matchAll(/\btz_[a-z_]+/g)].map((m) => m[0].replace(/_bucket$/, ''))));
  for (const name of ['tz_ingest_readings_written_total', 'tz_ingest_readings_rejected_total', 'tz_broker_clients_connected', 'tz_edge_queue_depth', 'tz_rules_alarms_open', 'tz_cases_open']) assert.ok(names.has(name), `charts ${name}`);
  for (const name of names) assert.ok(source.includes(`'${name}'`), `${name} is exported by some service`);
});

test('every PromQL query and Prometheus variable in every dashboard names metrics some service exports', () => {
  const source = sourceFiles(join(GRAFANA_DIR, '../..')).map((f) => readFileSync(f, 'utf8')).join('\n');
  const exprs = dashboards.flatMap((d) => [
    ...panelsOf(d).flatMap((p) => p.targets ?? []).filter((t) => t.datasource?.uid === PROMETHEUS_DS.uid).map((t) => t.expr ?? ''),
    ...(d.templating?.list ?? []).filter((v) => (v.datasource as { uid?: string } | undefined)?.uid === PROMETHEUS_DS.uid).map((v) => String(v.query)),
  ]);
  const names = new Set(exprs.flatMap((e) => [...e.matchAll(/\btz_[a-z_]+/g)].map((m) => m[0].replace(/_bucket$/, ''))));
  for (const name of ['tz_cases_kpi_ratio', 'tz_cases_kpi_target', 'tz_registry_device_info', 'tz_registry_device_tag']) assert.ok(names.has(name), `charts ${name}`);
  for (const name of names) assert.ok(source.includes(`'${name}'`), `${name} is exported by some service`);
});

test('the case KPI dashboard: 按时核查率, 结案率, 自动发现率 for the city, over time and by district, department and category', () => {
  const kpis = dashboards.find((d) => d.uid === 'tz-case-kpis')!;
  const exprs = panelsOf(kpis).flatMap((p) => p.targets ?? []).map((t) => t.expr ?? '');
  for (const kpi of ['on_time_verification', 'closure', 'sensor_share']) {
    for (const by of ['all', 'district', 'department', 'category']) assert.ok(exprs.some((e) => e.includes(`kpi="${kpi}",by="${by}"`)), `${kpi} by ${by}`);
  }
  assert.equal(kpis.templating?.list?.map((v) => v.name), ['window', 'district']);
  assert.ok(panelsOf(kpis).every((p) => p.type === 'row' || p.datasource?.uid === PROMETHEUS_DS.uid));
});

test('overviews offer grid cell, asset and tag from the registry and filter a row of InfluxQL panels by the devices they select', () => {
  for (const p of profiles) {
    const overview = dashboards.find((d) => d.uid === `tz-${p.class}-overview`)!;
    const vars = overview.templating?.list ?? [];
    assert.equal(vars.map((v) => v.name), ['district', 'grid_cell', 'asset', 'tag', 'registry_device']);
    for (const v of vars.slice(1)) assert.match(String(v.query), `class="${p.class}"`);
    const selected = panelsOf(overview).flatMap((x) => x.targets ?? []).filter((t) => t.query?.includes('"device" =~ /^$registry_device$/'));
    assert.ok(selected.length >= 2, `${p.class}: InfluxQL panels filtered by $registry_device`);
  }
});

test('provisioning points Grafana at both datasources by uid and at the dashboards folder', () => {
  const ds = parseYaml(readFileSync(join(GRAFANA_DIR, 'provisioning/datasources/tianzhong.yaml'), 'utf8')) as { datasources: Array<{ uid: string; type: string }> };
  assert.equal(ds.datasources.map((d) => [d.uid, d.type]), [[INFLUX_DS.uid, 'influxdb'], [PROMETHEUS_DS.uid, 'prometheus']]);
  const providers = parseYaml(readFileSync(join(GRAFANA_DIR, 'provisioning/dashboards/tianzhong.yaml'), 'utf8')) as { providers: Array<{ type: string; options: { path: string } }> };
  assert.is(providers.providers[0]!.type, 'file');
  const custom = renderGrafanaFiles(profiles, { dashboardsPath: '/srv/grafana/tz' }).find((f) => f.path === 'provisioning/dashboards/tianzhong.yaml')!;
  assert.match(custom.content, 'path: /srv/grafana/tz');
});

test.run();

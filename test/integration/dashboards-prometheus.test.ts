// The Prometheus side of the generated dashboards against a real Prometheus
// (Debian `prometheus`) scraping the rules service as operators run it, with
// its device registry and case system: every PromQL query of the case KPI
// dashboard returns the figures /api/v1/kpis gives, and the registry-backed
// variables of a class overview (grid cell, asset, tag → devices) list what
// the registry holds and narrow the devices as a person's choice would.
// Variables are evaluated the way Grafana's Prometheus datasource does:
// label_values(selector, label) → /api/v1/label/<label>/values?match[]=,
// query_result(expr) → /api/v1/query, then the variable's regex.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { loadProfiles } from '../../device-profiles/index.ts';
import { buildDashboards, PROMETHEUS_DS } from '../../dashboards/index.ts';
import { createLogger } from '../../service-kit/index.ts';
import { startRulesService, type RunningRulesService } from '../../cli/rules-service.ts';
import { prometheusScrapeConfig } from '../../cli/prometheus-config.ts';
import { freePort, tempDir, waitFor } from './helpers.ts';

const PASSWORD = 'dashboards-prometheus-secret';
const profiles = loadProfiles();
const dashboards = buildDashboards(profiles.all());
const dir = tempDir('tz-dashboards-prometheus-');
/** Three poles in two grid cells of 驿城区 and one in 西平县; tags on some. */
const POLES = [
  { id: 'sp-p001', district: 'yicheng', gridCell: 'yc-0101', assetId: 'pole-a', tags: 'led;speaker' },
  { id: 'sp-p002', district: 'yicheng', gridCell: 'yc-0101', assetId: 'pole-b', tags: 'led' },
  { id: 'sp-p003', district: 'yicheng', gridCell: 'yc-0202', assetId: 'pole-c', tags: '' },
  { id: 'sp-p004', district: 'xiping', gridCell: 'xp-0101', assetId: 'pole-d', tags: 'speaker' },
];

let broker: RunningBroker;
let service: RunningRulesService;
let prometheus: ChildProcess | undefined;
let promApi = '';
const tokens = { operator: '', dispatcher: '', crew: '', inspector: '' };

interface Target { refId: string; expr?: string; datasource?: { uid?: string } }
interface PanelLike { title?: string; type: string; targets?: Target[]; panels?: PanelLike[] }
interface VariableLike { name: string; query?: unknown; regex?: string; datasource?: { uid?: string } }

const panelsOf = (d: { panels?: PanelLike[] }): PanelLike[] => (d.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);

async function ok(method: string, path: string, token: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${service.httpUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown>;
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Grafana's variable and interval macros, as a person's choice renders them (a multi-value as (a|b) regex). */
function render(text: string, vars: Record<string, string>): string {
  let out = text.replaceAll('$__rate_interval', '1m');
  for (const [name, value] of Object.entries(vars).sort((a, b) => b[0].length - a[0].length)) out = out.replaceAll(`$${name}`, value);
  return out;
}

async function instant(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${promApi}/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  assert.is(body.status, 'success', `${expr}: ${body.error ?? ''}`);
  return body.data.result;
}

/** A Prometheus template variable's values, as Grafana computes them. */
async function variableValues(v: VariableLike, vars: Record<string, string>): Promise<string[]> {
  const query = render(String(v.query), vars);
  const labelValues = /^label_values\((.*),\s*(\w+)\)$/.exec(query);
  let values: string[];
  if (labelValues) {
    const res = await fetch(`${promApi}/label/${labelValues[2]}/values?match[]=${encodeURIComponent(labelValues[1] ?? '')}`);
    values = ((await res.json()) as { data: string[] }).data;
  } else {
    const result = /^query_result\((.*)\)$/.exec(query);
    assert.ok(result, `${v.name}: label_values or query_result, got ${query}`);
    values = (await instant(result[1] ?? '')).map((r) => `${r.metric.__name__ ?? ''}{${Object.entries(r.metric).filter(([k]) => k !== '__name__').map(([k, x]) => `${k}="${x}"`).join(',')}} ${r.value[1]}`);
  }
  if (v.regex) {
    const re = new RegExp(v.regex.replace(/^\/|\/$/g, ''));
    values = values.flatMap((x) => { const m = re.exec(x); return m ? [m[1] ?? m[0]] : []; });
  }
  return [...new Set(values)].sort();
}

test.before(async () => {
  const users = BrokerUsers.inMemory();
  users.add('tz-rules', PASSWORD, 'rules');
  broker = await startBroker({ users, port: 0, host: '127.0.0.1', gatewayEvents: false, log: createLogger('broker', 'silent') });
  service = await startRulesService({
    brokerUrl: broker.mqttUrl, username: 'tz-rules', password: PASSWORD, profiles,
    rulesDbPath: join(dir.path, 'rules.sqlite'), casesDbPath: join(dir.path, 'cases.sqlite'), accessDbPath: join(dir.path, 'access.sqlite'),
    registryDbPath: join(dir.path, 'registry.sqlite'), photoDir: join(dir.path, 'photos'), log: (c) => createLogger(c, 'silent'),
  });
  tokens.operator = (await service.access.issue({ name: 'olga', role: 'operator' })).token;
  tokens.dispatcher = (await service.access.issue({ name: 'dora', role: 'dispatcher' })).token;
  tokens.crew = (await service.access.issue({ name: 'wang', role: 'crew', crewId: 'crew-a' })).token;
  tokens.inspector = (await service.access.issue({ name: 'li', role: 'inspector' })).token;

  await ok('POST', '/api/v1/gateways', tokens.operator, { id: 'gw-p01', name: '网关' });
  for (const p of POLES) {
    await ok('POST', '/api/v1/assets', tokens.operator, { id: p.assetId, kind: 'pole', name: p.assetId, district: p.district, gridCell: p.gridCell });
    await ok('POST', '/api/v1/devices', tokens.operator, { id: p.id, class: 'smart-pole', gatewayId: 'gw-p01', transport: 'modbus-tcp', host: '127.0.0.1', port: 1502, unit: 1, district: p.district, gridCell: p.gridCell, assetId: p.assetId, tags: p.tags, state: 'active' });
  }
  // Cases: one in 驿城区 worked to closed, one in 西平县 left open.
  await ok('POST', '/api/v1/crews', tokens.dispatcher, { id: 'crew-a', name: '一班', department: 'municipal-facilities', districts: ['*'], skills: ['*'] });
  const closed = await ok('POST', '/api/v1/cases', tokens.dispatcher, { category: 'street-light', title: '路灯不亮', district: 'yicheng' });
  for (const [action, token, body] of [['accept', tokens.crew, {}], ['handle', tokens.crew, {}], ['verify', tokens.inspector, { evidence: 'patrol' }], ['close', tokens.operator, {}]] as const) {
    await ok('POST', `/api/v1/cases/${String(closed.id)}/actions/${action}`, token, body);
  }
  await ok('POST', '/api/v1/cases', tokens.dispatcher, { category: 'manhole-cover', title: '井盖松动', district: 'xiping' });

  const config = join(dir.path, 'prometheus.yml');
  writeFileSync(config, prometheusScrapeConfig({ rules: service.httpUrl }, 1));
  const port = await freePort();
  prometheus = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir.path, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  promApi = `http://127.0.0.1:${port}/api/v1`;
  await waitFor('KPI and registry series in Prometheus', async () => {
    const res = await fetch(`${promApi}/query?query=${encodeURIComponent('count(tz_cases_kpi_ratio) and count(tz_registry_device_info)')}`).catch(() => null);
    if (!res?.ok) return undefined;
    return ((await res.json()) as { data: { result: unknown[] } }).data.result.length > 0 ? true : undefined;
  }, 45_000, 500);
});

test.after(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
    prometheus.kill('SIGTERM');
    await exited;
  }
  await service?.stop();
  await broker?.stop();
  dir.remove();
});

test('the rules service /metrics with the KPI and registry gauges passes promtool check metrics', async () => {
  const text = await (await fetch(`${service.httpUrl}/metrics`)).text();
  for (const name of ['tz_cases_kpi_ratio', 'tz_cases_kpi_reported', 'tz_cases_kpi_target', 'tz_registry_device_info', 'tz_registry_device_tag', 'tz_cases_open']) assert.match(text, new RegExp(`^# HELP ${name} `, 'm'));
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.is(lint.status, 0, `promtool check metrics:\n${lint.stdout}${lint.stderr}`);
});

test('every query of the case KPI dashboard returns the figures /api/v1/kpis gives', async () => {
  const kpis = dashboards.find((d) => d.uid === 'tz-case-kpis');
  assert.ok(kpis);
  const api = await ok('GET', '/api/v1/kpis?groupBy=district', tokens.operator) as { closureRate: number; onTimeVerificationRate: number; groups: Array<{ key: string; kpis: { closureRate: number } }> };
  let checked = 0;
  for (const panel of panelsOf(kpis as { panels?: PanelLike[] })) {
    for (const target of panel.targets ?? []) {
      assert.is(target.datasource?.uid, PROMETHEUS_DS.uid);
      const result = await instant(render(target.expr ?? '', { window: '30d', district: '.*' }));
      assert.ok(result.length > 0, `${panel.title}: ${target.expr} returned nothing`);
      checked += 1;
    }
  }
  assert.ok(checked >= 15, `${checked} queries`);
  const city = await instant(render('max(tz_cases_kpi_ratio{kpi="closure",by="all",window="$window"})', { window: '30d' }));
  assert.is(Number(city[0]?.value[1]), api.closureRate, 'the city closure rate as the API has it');
  assert.is(api.closureRate, 0.5);
  const byDistrict = await instant('max by (group) (tz_cases_kpi_ratio{kpi="closure",by="district",window="30d",group=~"(yicheng|xiping)"})');
  assert.equal(Object.fromEntries(byDistrict.map((r) => [r.metric.group, Number(r.value[1])])), Object.fromEntries(api.groups.map((g) => [g.key, g.kpis.closureRate])));
  const districts = await variableValues((kpis.templating?.list ?? []).find((v) => v.name === 'district') as VariableLike, {});
  assert.equal(districts, ['xiping', 'yicheng']);
});

test('the overview\'s registry variables list grid cells, assets and tags from the registry and narrow the devices', async () => {
  const overview = dashboards.find((d) => d.uid === 'tz-smart-pole-overview');
  assert.ok(overview);
  const vars = Object.fromEntries((overview.templating?.list ?? []).map((v) => [v.name, v as VariableLike]));
  const all = { district: '.*', grid_cell: '.*', asset: '.*', tag: '.*' };
  assert.equal(await variableValues(vars.grid_cell as VariableLike, all), ['xp-0101', 'yc-0101', 'yc-0202']);
  assert.equal(await variableValues(vars.grid_cell as VariableLike, { ...all, district: '(yicheng)' }), ['yc-0101', 'yc-0202']);
  assert.equal(await variableValues(vars.asset as VariableLike, { ...all, grid_cell: '(yc-0101)' }), ['pole-a', 'pole-b']);
  assert.equal(await variableValues(vars.tag as VariableLike, all), ['led', 'speaker']);
  const devices = vars.registry_device as VariableLike;
  assert.equal(await variableValues(devices, all), ['sp-p001', 'sp-p002', 'sp-p003', 'sp-p004'], 'All keeps untagged devices');
  assert.equal(await variableValues(devices, { ...all, grid_cell: '(yc-0101)' }), ['sp-p001', 'sp-p002']);
  assert.equal(await variableValues(devices, { ...all, tag: '(speaker)' }), ['sp-p001', 'sp-p004']);
  assert.equal(await variableValues(devices, { ...all, district: '(yicheng)', tag: '(speaker)' }), ['sp-p001']);
  assert.equal(await variableValues(devices, { ...all, asset: '(pole-c)' }), ['sp-p003']);
  // The selection's device count panel agrees.
  const count = panelsOf(overview as { panels?: PanelLike[] }).find((p) => p.title === 'Devices selected in the registry');
  const n = await instant(render(count?.targets?.[0]?.expr ?? '', { ...all, grid_cell: '(yc-0101)' }));
  assert.is(Number(n[0]?.value[1]), 2);
  // The drill-down's registry facts of one device.
  const drill = dashboards.find((d) => d.uid === 'tz-smart-pole-device');
  const facts = panelsOf(drill as { panels?: PanelLike[] }).find((p) => p.title === 'Registry facts of $device');
  const row = await instant(render(facts?.targets?.[0]?.expr ?? '', { device: 'sp-p002' }));
  assert.equal({ grid_cell: row[0]?.metric.grid_cell, asset: row[0]?.metric.asset, district: row[0]?.metric.district }, { grid_cell: 'yc-0101', asset: 'pole-b', district: 'yicheng' });
});

test.run();

// A scripted month of cases (November 2026, city time) through the real case
// HTTP API on a ManualClock: the GB/T 30428 role split (inspectors verify,
// the command centre dispatches and closes), rework after a failed
// verification, citizens' ratings (Open311 and the 12345 hotline), the KPIs
// from the audit trail, and the monthly report (JSON, CSV, HTML, PDF, CLI)
// whose figures equal the KPI API's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseCsv } from 'csv-parse/sync';
import { ManualClock } from '../../service-kit/index.ts';
import type { CaseSystem } from '../../cases/index.ts';
import { localMidnight } from '../../cases/city-time.ts';
import { htmlToPdf } from '../../cases/report-pdf.ts';
import { alarm, event } from '../../cases/test/fixtures.ts';
import { startCaseApi, type CaseApi } from './helpers.ts';

const TZ = 'Asia/Shanghai';
const HOUR = 3_600_000;
const clock = new ManualClock(localMidnight(2026, 10, 1, TZ));
/** Sets the clock to a day of `month` (10 or 11, 2026) at `hh:mm` city time. */
const at = (month: number, day: number, hh: number, mm = 0) => clock.set(localMidnight(2026, month, day, TZ) + hh * HOUR + mm * 60_000);

let base = '';
let system: CaseSystem;
let cases: CaseApi;
const tok = (person: string): string => cases.token(person);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]);

async function api(method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}
const act = async (id: number, action: string, token: string, body: Record<string, unknown> = {}) => {
  const r = await api('POST', `/api/v1/cases/${id}/actions/${action}`, token, body);
  assert.is(r.status, 200, `${action} on ${id}: ${JSON.stringify(r.json)}`);
  return r.json;
};
async function photo(caseId: number, token: string): Promise<string> {
  const form = new FormData();
  form.append('photo', new Blob([new Uint8Array(PNG)]), 'site.png');
  const res = await fetch(`${base}/api/v1/cases/${caseId}/photos`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  assert.is(res.status, 201);
  return ((await res.json()) as { id: string }).id;
}
async function sensorCase(deviceId: string, priority: string): Promise<number> {
  await system.alarmSink.deliver(event('raised', alarm({ deviceId, district: 'north', case: { category: 'manhole-cover', priority } })));
  const list = await system.store.atomically((tx) => tx.listCases({ assetId: deviceId }));
  return list[0]!.id;
}

test.before(async () => {
  cases = await startCaseApi({
    prefix: 'tz-cases-month-',
    people: {
      operator: { role: 'operator' }, dispatcher: { role: 'dispatcher' }, crew1: { role: 'crew', crewId: 'c1' }, crew2: { role: 'crew', crewId: 'c2' },
      readonly: { role: 'readonly' }, inspector: { role: 'inspector' }, app: { role: 'operator' }, 'south-patrol': { role: 'inspector', area: 'south' },
    },
    crews: [
      { id: 'c1', name: '北区井盖组', department: 'municipal-facilities', districts: ['north'], skills: ['manhole-cover'] },
      { id: 'c2', name: '环卫一组', department: 'sanitation', districts: ['*'], skills: ['*'] },
    ],
    system: { clock },
  });
  ({ base, system } = cases);
});

test.after(async () => cases.stop());

const ids: Record<string, number> = {};

test('October: one case left open (the previous month of the trend)', async () => {
  at(10, 10, 9);
  const p = await api('POST', '/api/v1/cases', tok('operator'), { category: 'exposed-rubbish', title: '十月 垃圾', district: 'south' });
  assert.is(p.status, 201);
});

test('role split: an operator cannot verify, an inspector cannot dispatch, a crew cannot verify; failed verification is rework for the same crew', async () => {
  at(11, 2, 9);
  ids.A = await sensorCase('mc-a', 'urgent');
  at(11, 2, 9, 10); await act(ids.A, 'accept', tok('crew1'));
  at(11, 2, 10); await act(ids.A, 'handle', tok('crew1'));
  assert.is((await api('POST', `/api/v1/cases/${ids.A}/actions/verify`, tok('operator'), { evidence: 'x' })).status, 403, 'operator cannot verify');
  assert.is((await api('POST', `/api/v1/cases/${ids.A}/actions/verify`, tok('crew1'), { evidence: 'x' })).status, 403, 'crew cannot verify');
  assert.is((await api('POST', `/api/v1/cases/${ids.A}/actions/verify`, tok('inspector'), {})).status, 400, 'verification needs a photo or a reference');
  assert.is((await api('POST', `/api/v1/cases/${ids.A}/actions/verify`, tok('south-patrol'), { evidence: 'x' })).status, 403, 'an inspector bound to the south does not verify in the north');
  at(11, 2, 10, 30);
  const pic = await photo(ids.A, tok('inspector'));
  const failed = await act(ids.A, 'rework', tok('inspector'), { note: '井盖仍松动 cover still loose', photoId: pic });
  assert.equal([failed.status, failed.crewId, failed.reworkCount], ['in_progress', 'c1', 1]);
  at(11, 2, 11); await act(ids.A, 'handle', tok('crew1'));
  at(11, 2, 11, 30); await act(ids.A, 'verify', tok('inspector'), { photoId: await photo(ids.A, tok('inspector')) });
  assert.is((await api('POST', `/api/v1/cases/${ids.A}/actions/close`, tok('inspector'), {})).status, 403, 'the command centre closes');
  at(11, 2, 11, 40); assert.is((await act(ids.A, 'close', tok('dispatcher'))).status, 'closed');

  at(11, 5, 8);
  ids.B = await sensorCase('mc-b', 'high');
  at(11, 5, 9); await act(ids.B, 'accept', tok('crew1'));
  at(11, 5, 10); await act(ids.B, 'handle', tok('crew1'));
  at(11, 5, 20); await act(ids.B, 'verify', tok('inspector'), { evidence: '巡查记录 patrol log 1105-20' }); // 4 h allowance: late
  at(11, 5, 20, 10); await act(ids.B, 'close', tok('operator'));
});

test('an inspector reports a problem found on patrol (source inspector, with a photo); cannot dispatch it', async () => {
  at(11, 10, 9);
  const c = await api('POST', '/api/v1/cases', tok('south-patrol'), { category: 'exposed-rubbish', title: '巡查发现 暴露垃圾', source: 'operator', register: false });
  assert.is(c.status, 201);
  assert.equal([c.json.source, c.json.district, c.json.status], ['inspector', 'south', 'reported']);
  const idC: number = c.json.id;
  ids.C = idC;
  await photo(idC, tok('south-patrol'));
  await act(idC, 'register', tok('operator'));
  const registered = await api('GET', `/api/v1/cases/${idC}`, tok('readonly'));
  assert.is(registered.json.status, 'dispatched', 'auto-dispatched on registration');
  assert.equal(registered.json.categoryInfo, { category: 'exposed-rubbish', kind: 'event', kindZh: '事件', classCode: '01', className: '市容环境', code: '0102', nameZh: '暴露垃圾', nameEn: 'Exposed rubbish' });
  await act(idC, 'return', tok('crew2'), { note: 'not ours today' });
  assert.is((await api('POST', `/api/v1/cases/${idC}/actions/dispatch`, tok('inspector'), { crewId: 'c2' })).status, 403, 'an inspector cannot dispatch');
  await act(idC, 'dispatch', tok('dispatcher'), { crewId: 'c2' });
  at(11, 10, 10); await act(idC, 'accept', tok('crew2'));
  at(11, 10, 12); await act(idC, 'handle', tok('crew2'));
  at(11, 10, 13); await act(idC, 'verify', tok('south-patrol'), { evidence: 'photo on patrol app' });
  at(11, 10, 14); await act(idC, 'close', tok('operator'));
});

test('Open311: a citizen rates the closed request once, with the token returned at creation', async () => {
  at(11, 12, 8);
  const res = await fetch(`${base}/open311/v2/requests.json`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ api_key: tok('app'), service_code: 'exposed-rubbish', lat: '32.98', long: '114.02', description: '小区门口垃圾', phone: '13912345678' }) });
  assert.is(res.status, 201);
  const [created] = (await res.json()) as Array<{ service_request_id: string; token: string }>;
  assert.ok(created, 'the request is answered with its id and token');
  const { service_request_id: rid, token } = created;
  const idD = Number(rid);
  ids.D = idD;
  const rate = (body: Record<string, string>) => fetch(`${base}/open311/v2/requests/${rid}/rating.json`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) });
  assert.is((await rate({ token, stars: '5' })).status, 409, 'not before close');
  await act(idD, 'register', tok('operator'));
  at(11, 12, 9); await act(idD, 'accept', tok('crew2'));
  at(11, 12, 11); await act(idD, 'handle', tok('crew2'));
  at(11, 12, 12); await act(idD, 'verify', tok('inspector'), { evidence: 'patrol 1112' });
  at(11, 12, 13); await act(idD, 'close', tok('dispatcher'));
  assert.is((await rate({ token: 'not-the-token', stars: '5' })).status, 403);
  assert.is((await rate({ api_key: tok('operator'), stars: '5' })).status, 403, 'another api key did not file it');
  assert.is((await rate({ token, stars: '6' })).status, 400);
  const ok = await rate({ token, stars: '5', comment: '处理很快' });
  assert.is(ok.status, 201);
  const [rated] = (await ok.json()) as Array<{ stars: number; satisfaction_zh: string }>;
  assert.equal([rated!.stars, rated!.satisfaction_zh], [5, '满意']);
  assert.is((await rate({ api_key: tok('app'), stars: '1' })).status, 409, 'once');
  const detail = await api('GET', `/api/v1/cases/${idD}`, tok('readonly'));
  assert.equal([detail.json.rating.stars, detail.json.rating.comment, detail.json.rating.satisfaction], [5, '处理很快', 'satisfied']);
});

test('12345 hotline: a dispatcher enters the call (phone kept masked), rates it after close on the call-back', async () => {
  at(11, 20, 9);
  assert.is((await api('POST', '/api/v1/cases', tok('dispatcher'), { category: 'exposed-rubbish', title: 'x', callerPhone: '13800138000' })).status, 400, 'callerPhone only on hotline cases');
  const c = await api('POST', '/api/v1/cases', tok('dispatcher'), { category: 'exposed-rubbish', title: '12345 来电 垃圾', source: 'hotline', district: 'east', callerPhone: '138 0013 8000' });
  assert.is(c.status, 201);
  const idE: number = c.json.id;
  ids.E = idE;
  const stored = await system.store.atomically((tx) => tx.getCase(idE));
  assert.is(stored!.reporter!.phone, '138****8000');
  assert.ok(!JSON.stringify(stored).includes('13800138000'), 'the number is not stored in clear');
  assert.is((await api('POST', `/api/v1/cases/${idE}/rating`, tok('dispatcher'), { stars: 2 })).status, 409);
  at(11, 20, 10); await act(idE, 'accept', tok('crew2'));
  at(11, 20, 11); await act(idE, 'handle', tok('crew2'));
  at(11, 20, 12); await act(idE, 'verify', tok('inspector'), { evidence: 'patrol 1120' });
  at(11, 20, 13); await act(idE, 'close', tok('dispatcher'));
  assert.is((await api('POST', `/api/v1/cases/${idE}/rating`, tok('readonly'), { stars: 2 })).status, 403);
  assert.is((await api('POST', `/api/v1/cases/${idE}/rating`, tok('dispatcher'), { stars: 2, comment: '来得太慢' })).status, 201);
  assert.is((await api('POST', `/api/v1/cases/${idE}/rating`, tok('dispatcher'), { stars: 4 })).status, 409, 'once');
  assert.is((await api('POST', `/api/v1/cases/${ids.A}/rating`, tok('dispatcher'), { stars: 4 })).status, 400, 'sensor cases are not rated');
});

test('the rest of the month: one left overdue, one cancelled', async () => {
  at(11, 15, 9);
  const f = await api('POST', '/api/v1/cases', tok('operator'), { category: 'public-toilet', title: '公厕门坏', district: 'south' });
  const idF: number = f.json.id;
  ids.F = idF;
  at(11, 15, 10); await act(idF, 'accept', tok('crew2'));
  at(11, 16, 9);
  const h = await api('POST', '/api/v1/cases', tok('operator'), { category: 'street-vending', title: '重复上报', district: 'west' });
  const idH: number = h.json.id;
  ids.H = idH;
  await act(idH, 'cancel', tok('operator'), { note: 'duplicate' });
  at(12, 2, 9);
});

test('KPIs for November from the audit trail', async () => {
  const k = await api('GET', '/api/v1/kpis?from=2026-11-01&to=2026-12-01', tok('readonly'));
  assert.is(k.status, 200);
  assert.is(k.json.from, '2026-10-31T16:00:00.000Z', 'a date is midnight in the city');
  const c = k.json.counts;
  assert.equal([c.reported, c.registered, c.bySensor, c.closed, c.cancelled, c.open, c.verifications, c.verificationsOnTime, c.reworks, c.ratings, c.satisfied, c.dissatisfied],
    [7, 7, 2, 5, 1, 1, 5, 4, 1, 2, 1, 1]);
  assert.is(k.json.closureRate, 0.8333);
  assert.is(k.json.onTimeVerificationRate, 0.8);
  assert.is(k.json.autoDiscoveryRate, 0.2857);
  assert.is(k.json.averageRating, 3.5);
  const byCategory = await api('GET', '/api/v1/kpis?from=2026-11-01&to=2026-12-01&groupBy=category', tok('readonly'));
  const covers = byCategory.json.groups.find((g: { key: string }) => g.key === 'manhole-cover');
  assert.equal([covers.code, covers.nameZh, covers.className, covers.kpis.counts.reported, covers.kpis.autoDiscoveryRate], ['0102', '污水井盖', '公用设施', 2, 1]);
  const services = await (await fetch(`${base}/open311/v2/services.json`)).json() as Array<{ service_code: string; description: string }>;
  assert.match(services.find((x) => x.service_code === 'exposed-rubbish')!.description, /^事件 01 市容环境 \/ 0102 暴露垃圾 · /);
});

test('the monthly report: JSON, CSV, HTML and PDF agree with the KPI API; trend; worst overdue; the CLI writes it', async () => {
  const k = (await api('GET', '/api/v1/kpis?from=2026-11-01&to=2026-12-01', tok('readonly'))).json;
  const r = (await api('GET', '/api/v1/reports/monthly?month=2026-11', tok('readonly'))).json;
  assert.equal(r.overall, k, 'the report\'s figures are the API\'s');
  assert.equal([r.previous.month, r.previous.kpis.counts.reported, r.previous.kpis.closureRate], ['2026-10', 1, 0]);
  const closure = r.trend.find((t: { metric: string }) => t.metric === 'closureRate');
  assert.equal([closure.current, closure.previous, closure.delta], [0.8333, 0, 0.8333]);
  assert.equal(r.byDistrict.map((x: { key: string; reported: number }) => [x.key, x.reported]), [['—', 1], ['east', 1], ['north', 2], ['south', 2], ['west', 1]], 'the Open311 point has no district without a grid locator');
  const cat = r.byCategory.find((x: { key: string }) => x.key === 'manhole-cover');
  assert.equal([cat.name, cat.reported, cat.reworks, cat.autoDiscoveryRate], ['部件 0102 污水井盖', 2, 1, 1]);
  assert.equal(r.byDepartment.map((x: { key: string }) => x.key), ['city-management', 'municipal-facilities', 'sanitation']);
  assert.is(r.worstOverdue[0].id, ids.F);
  assert.ok(r.worstOverdue[0].overdueHours > 24 * 14);
  assert.ok(!r.worstOverdue.some((o: { id: number }) => o.id === ids.H), 'cancelled cases are not overdue');

  const csv = await api('GET', '/api/v1/reports/monthly?month=2026-11&format=csv', tok('readonly'));
  assert.is(csv.status, 200);
  const rows = parseCsv(String(csv.json).replace(/^\ufeff/, ''), { relax_column_count: true, skip_empty_lines: true }) as string[][];
  const city = rows.find((x) => x[0] === '全市 city')!;
  assert.equal(city.slice(3, 11).map(Number), [k.counts.reported, k.counts.registered, k.counts.closed, k.closureRate, k.onTimeVerificationRate, k.autoDiscoveryRate, k.counts.reworks, k.averageRating]);
  assert.ok(rows.some((x) => x[0] === '超期 overdue' && Number(x[1]) === ids.F));

  const html = String((await api('GET', '/api/v1/reports/monthly?month=2026-11&format=html', tok('readonly'))).json);
  assert.match(html, /<html lang="zh-CN">/);
  assert.match(html, /城市管理月报/);
  assert.match(html, /data-kpi="closureRate">结案率 <small>closure rate<\/small><b>83\.3%<\/b>/);
  assert.match(html, /data-kpi="onTimeVerificationRate">按时核查率 <small>on-time verification<\/small><b>80\.0%<\/b>/);
  assert.match(html, /data-kpi="averageRating">平均评价 <small>average rating<\/small><b>3\.50<\/b>/);
  assert.match(html, new RegExp(`data-case-id="${ids.F}"`));
  assert.match(html, /部件 0102 污水井盖/);

  const pdf = await htmlToPdf(html);
  assert.is(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
  assert.ok(pdf.length > 10_000, `a real page, ${pdf.length} bytes`);
  const served = await fetch(`${base}/api/v1/reports/monthly?month=2026-11&format=pdf`, { headers: { authorization: `Bearer ${tok('readonly')}` } });
  assert.is(served.headers.get('content-type'), 'application/pdf');
  const servedPdf = Buffer.from(await served.arrayBuffer());
  assert.is(servedPdf.subarray(0, 5).toString('latin1'), '%PDF-');
  assert.ok(servedPdf.length > 10_000);
  assert.is((await api('GET', '/api/v1/reports/monthly?month=2026-13', tok('readonly'))).status, 400);
  assert.is((await api('GET', '/api/v1/reports/monthly?month=2026-11', tok('crew1'))).status, 403, 'crews do not read the office\'s report');

  // The CLI against the same API (csv, straight from the service).
  const out = join(cases.dir, 'report.csv');
  const run = promisify(execFile);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'report', 'monthly', '--month', '2026-11', '--format', 'csv', '--out', out, '--api', base],
    { env: { ...process.env, TZ_API_TOKEN: tok('readonly') }, timeout: 60_000 });
  assert.match(stdout, /wrote .*report\.csv/);
  const written = readFileSync(out);
  assert.equal([...written.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM, so spreadsheet programs read the Chinese');
  assert.is(written.toString('utf8').replace(/^\ufeff/, ''), String(csv.json).replace(/^\ufeff/, ''));
});

test.run();

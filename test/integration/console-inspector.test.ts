// The inspector's patrol view and the KPI page (issue 17) in headless Debian
// Chromium against the rules service as operators run it (rules, cases and
// the console on one server, a real tianzhong broker): cases handled by a
// crew wait for verification (核查); the inspector verifies one with an
// on-site photo and sends another back for rework with a reason; an operator
// sees the list read-only and the API refuses its verification, an inspector
// gets no dispatch button and the API refuses its dispatch. The KPI page
// shows 按时核查率 / 结案率 / 自动发现率 (with a case a sensor found) by district, department and
// category and by period. Screenshots: var/test-artifacts/inspector-*.png.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { loadProfiles } from '../../device-profiles/index.ts';
import { CONSOLE_STATIC_DIR } from '../../dashboards/index.ts';
import { createLogger } from '../../service-kit/index.ts';
import { startRulesService, type RunningRulesService } from '../../cli/rules-service.ts';
import { tempDir } from './helpers.ts';
import { issueConsoleTokens, launchConsoleBrowser, openConsolePage, signInToConsole, type ConsolePerson } from '../../testing/console-browser.ts';
import { alarm, event } from '../../cases/test/fixtures.ts';

const ARTIFACTS = join(process.cwd(), 'var/test-artifacts');
const PHOTO = join(CONSOLE_STATIC_DIR, 'icons/icon-192.png');
const PASSWORD = 'console-inspector-secret';
const dir = tempDir('tz-console-inspector-');
const profiles = loadProfiles();

let broker: RunningBroker;
let service: RunningRulesService;
let browser: Browser;
let page: Page;
let tokens: Record<ConsolePerson, string>;
const ids = { fixed: 0, notFixed: 0, waiting: 0 };

interface CaseDetail { id: number; status: string; reworkCount: number; events: Array<{ action: string; who: string; detail: Record<string, unknown>; note: string | null }> }

async function call<T>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${service.httpUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as T };
}
async function ok<T>(method: string, path: string, token: string, body?: unknown): Promise<T> {
  const r = await call<T>(method, path, token, body);
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

/** A case reported, registered and dispatched (automatically, to crew-a), accepted and handled by the crew. */
async function handledCase(title: string, district: string, category: string): Promise<number> {
  const c = await ok<{ id: number; status: string }>('POST', '/api/v1/cases', tokens.dispatcher, { category, title, district, address: `${title} 现场` });
  if (c.status === 'registered') await ok('POST', `/api/v1/cases/${c.id}/actions/dispatch`, tokens.dispatcher, { crewId: 'crew-a' });
  await ok('POST', `/api/v1/cases/${c.id}/actions/accept`, tokens.crew, {});
  await ok('POST', `/api/v1/cases/${c.id}/actions/handle`, tokens.crew, {});
  return c.id;
}

const signIn = (role: ConsolePerson, landing: string) => signInToConsole(page, tokens[role], { serviceUrl: service.httpUrl, until: { landing } });

test.before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const users = BrokerUsers.inMemory();
  users.add('tz-rules', PASSWORD, 'rules');
  broker = await startBroker({ users, port: 0, host: '127.0.0.1', gatewayEvents: false, log: createLogger('broker', 'silent') });
  service = await startRulesService({
    brokerUrl: broker.mqttUrl, username: 'tz-rules', password: PASSWORD, profiles, timeZone: 'Asia/Shanghai',
    rulesDbPath: join(dir.path, 'rules.sqlite'), casesDbPath: join(dir.path, 'cases.sqlite'), accessDbPath: join(dir.path, 'access.sqlite'),
    photoDir: join(dir.path, 'photos'), log: (c) => createLogger(c, 'silent'),
  });
  tokens = await issueConsoleTokens(service.access);
  await ok('POST', '/api/v1/crews', tokens.dispatcher, { id: 'crew-a', name: '一班', department: 'municipal-facilities', districts: ['yicheng', 'xiping'], skills: ['*'] });
  ids.fixed = await handledCase('井盖破损 解放路', 'yicheng', 'manhole-cover');
  ids.notFixed = await handledCase('路灯不亮 中华路', 'xiping', 'street-light');
  // No crew serves 遂平县: the case stays registered, waiting for a dispatcher.
  ids.waiting = (await ok<{ id: number }>('POST', '/api/v1/cases', tokens.dispatcher, { category: 'manhole-cover', title: '井盖松动 遂平', district: 'suiping', register: true })).id;

  browser = await launchConsoleBrowser();
  ({ page } = await openConsolePage(browser));
});

test.after(async () => {
  await browser?.close();
  await service?.stop();
  await broker?.stop();
  dir.remove();
});

test('an inspector lands on the cases awaiting verification and verifies one with an on-site photo', async () => {
  await signIn('inspector', '#/inspector');
  assert.ok(await page.locator('#nav a[href="#/inspector"]').isVisible(), 'the inspector has the 核查 page in the menu');
  assert.match(await page.textContent('#who') ?? '', 'li-inspector · 监督员');
  const card = page.locator(`.verify-card[data-case-id="${ids.fixed}"]`);
  await card.waitFor();
  assert.is(await page.locator('.verify-card').count(), 2, 'both handled cases, not the registered one');
  assert.match(await page.textContent('#verify-total') ?? '', '2 件待核查');
  assert.match(await card.textContent() ?? '', '驿城区');
  // No photo yet: the page asks for one and sends nothing.
  await card.locator('button[data-action="verify"]').click();
  await page.waitForSelector('[data-testid="notice-error"]:has-text("请先拍摄现场照片")');
  assert.is((await ok<CaseDetail>('GET', `/api/v1/cases/${ids.fixed}`, tokens.operator)).status, 'handled');
  await page.screenshot({ path: join(ARTIFACTS, 'inspector-list.png'), fullPage: true });

  await card.locator('input.verify-photo').setInputFiles(PHOTO);
  await card.locator('button[data-action="verify"]').click();
  await page.locator(`.verify-card[data-case-id="${ids.fixed}"]`).waitFor({ state: 'detached' });
  const done = await ok<CaseDetail & { photos: Array<{ id: string; uploadedBy: string }> }>('GET', `/api/v1/cases/${ids.fixed}`, tokens.operator);
  assert.is(done.status, 'verified');
  const verify = done.events.find((e) => e.action === 'verify');
  assert.ok(verify, 'a verify line in the trail');
  assert.is(verify.who.includes('li-inspector'), true, verify.who);
  assert.is(verify.detail.verification, 'passed');
  assert.ok(done.photos.some((p) => p.id === verify.detail.photoId && p.uploadedBy.includes('li-inspector')), 'the evidence is the photo the inspector took');
});

test('an inspector sends a case back for rework: a reason is required; it returns to the crew in progress', async () => {
  const card = page.locator(`.verify-card[data-case-id="${ids.notFixed}"]`);
  await card.locator('input.verify-photo').setInputFiles(PHOTO);
  await card.locator('button[data-action="rework"]').click();
  await page.waitForSelector('[data-testid="notice-error"]:has-text("退回返工需要填写原因")');
  await card.locator('input.verify-note').fill('灯仍不亮，需更换镇流器');
  await card.locator('button[data-action="rework"]').click();
  await page.waitForSelector('#verify-empty');
  const back = await ok<CaseDetail>('GET', `/api/v1/cases/${ids.notFixed}`, tokens.operator);
  assert.is(back.status, 'in_progress');
  assert.is(back.reworkCount, 1);
  const rework = back.events.find((e) => e.action === 'rework');
  assert.is(rework?.note, '灯仍不亮，需更换镇流器');
  assert.is(rework?.detail.verification, 'failed');
});

test('an inspector cannot dispatch (no button; the API refuses), an operator cannot verify (read-only page; the API refuses)', async () => {
  assert.is((await ok<CaseDetail>('GET', `/api/v1/cases/${ids.waiting}`, tokens.operator)).status, 'registered');
  await page.goto(`${service.httpUrl}/console/#/cases`);
  const waiting = page.locator(`.card[data-case-id="${ids.waiting}"]`);
  await waiting.waitFor();
  assert.is(await waiting.locator('button[data-action="dispatch"]').count(), 0);
  const dispatch = await call<{ code: string }>('POST', `/api/v1/cases/${ids.waiting}/actions/dispatch`, tokens.inspector, { crewId: 'crew-a' });
  assert.is(dispatch.status, 403, JSON.stringify(dispatch.json));

  // Back to handled for the operator to look at.
  await ok('POST', `/api/v1/cases/${ids.notFixed}/actions/handle`, tokens.crew, {});
  await signIn('operator', '#/map');
  assert.is(await page.locator('#nav a[href="#/inspector"]').isVisible(), false, 'no 核查 page in the operator\'s menu');
  await page.goto(`${service.httpUrl}/console/#/inspector`);
  await page.locator(`.verify-card[data-case-id="${ids.notFixed}"]`).waitFor();
  assert.ok(await page.locator('#verify-readonly').isVisible());
  assert.is(await page.locator('.verify-card button').count(), 0, 'no verify or rework buttons');
  const verify = await call<{ code: string }>('POST', `/api/v1/cases/${ids.notFixed}/actions/verify`, tokens.operator, { evidence: 'desk check' });
  assert.is(verify.status, 403, JSON.stringify(verify.json));
  await page.goto(`${service.httpUrl}/console/#/cases`);
  await page.locator(`.card[data-case-id="${ids.notFixed}"]`).waitFor();
  assert.is(await page.locator(`.card[data-case-id="${ids.notFixed}"] button[data-action="verify"]`).count(), 0);
});

test('the KPI page: 按时核查率, 结案率, 自动发现率 by district, department, category and by period', async () => {
  await ok('POST', `/api/v1/cases/${ids.fixed}/actions/close`, tokens.operator, {});
  // A cover-open alarm in 驿城区 opens a case found by a sensor (the rules engine's sink, in-process).
  const now = new Date().toISOString();
  await service.cases.alarmSink.deliver(event('raised', alarm({ deviceId: 'mc-yc-0001', district: 'yicheng', raisedAt: now, lastSeenAt: now, createdAt: now, updatedAt: now })));
  await page.goto(`${service.httpUrl}/console/#/kpis`);
  const yicheng = page.locator('#kpi-groups tr[data-group="yicheng"]');
  await yicheng.waitFor();
  const headers = await page.locator('#kpi-groups thead th').allTextContents();
  assert.equal(headers, ['区域', '上报', '按时核查率', '结案率', '自动发现率', '返工'].map((h) => (h === '上报' ? '上报案件' : h)));
  // 驿城区: two cases, one closed, one from a sensor → 50 %, 50 %; 遂平县: one case, open → 0 %; 西平县: one case, reworked, open → 0 %.
  assert.is(await yicheng.locator('th').textContent(), '驿城区');
  assert.is(await yicheng.locator('[data-kpi="reported"]').textContent(), '2');
  assert.is(await yicheng.locator('[data-kpi="closureRate"]').textContent(), '50.0 %');
  assert.is(await yicheng.locator('[data-kpi="sensorShare"]').textContent(), '50.0 %');
  assert.match(await page.textContent('#kpi-cards [data-kpi="sensorShare"] .value') ?? '', '25.0 %', 'city: one of four cases found by a sensor');
  assert.is(await page.locator('#kpi-groups tr[data-group="suiping"] [data-kpi="closureRate"]').textContent(), '0.0 %');
  assert.is(await yicheng.locator('[data-kpi="onTimeVerificationRate"]').textContent(), '100.0 %');
  const xiping = page.locator('#kpi-groups tr[data-group="xiping"]');
  assert.is(await xiping.locator('[data-kpi="closureRate"]').textContent(), '0.0 %');
  assert.is(await xiping.locator('[data-kpi="reworks"]').textContent(), '1');
  assert.is(await xiping.locator('[data-kpi="sensorShare"]').textContent(), '0.0 %', 'no case of this test was found by a sensor');
  // The API agrees.
  const api = await ok<{ groups: Array<{ key: string; kpis: { closureRate: number } }> }>('GET', '/api/v1/kpis?groupBy=district', tokens.operator);
  assert.is(api.groups.find((g) => g.key === 'yicheng')?.kpis.closureRate, 0.5);

  await page.selectOption('#kpi-group', 'category');
  await page.locator('#kpi-groups tr[data-group="street-light"]').waitFor();
  assert.is(await page.locator('#kpi-groups thead th').first().textContent(), '类别');
  await page.selectOption('#kpi-group', 'department');
  await page.locator('#kpi-groups thead th:has-text("部门")').waitFor();

  // By period: weeks of the last 30 days; every case of this test is in the latest week.
  await page.locator('#kpi-periods tbody tr').first().waitFor();
  const weeks = await page.locator('#kpi-periods tbody tr').count();
  assert.ok(weeks >= 4 && weeks <= 6, `${weeks} weeks`);
  const reported = await page.locator('#kpi-periods tbody tr [data-kpi="reported"]').allTextContents();
  assert.is(reported.map(Number).reduce((a, b) => a + b, 0), 4, 'each case in exactly one period');
  await page.selectOption('#kpi-period', 'month');
  await page.waitForFunction(() => document.querySelectorAll('#kpi-periods tbody tr').length <= 2);
  assert.match(await page.locator('#kpi-periods tbody tr th').last().textContent() ?? '', /^\d{4}-\d{2}$/);
  await page.screenshot({ path: join(ARTIFACTS, 'inspector-kpis.png'), fullPage: true });
});

test.run();

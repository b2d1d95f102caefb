// Silences and maintenance windows end to end: the real rules service (rules
// + cases + alerts wired as cli/rules-service.ts does) over a real Aedes
// broker and HTTP. An alarm inside a silence is recorded and marked silenced
// but opens no case and sends no alert; outside it does; expiring the
// silence releases the still-open alarm. Scoped by device, by asset and
// district through deviceFacts; audited; the CLI talks to the same API.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { loadProfiles } from '../../device-profiles/index.ts';
import { encodeUplinkBatch, topics, type IReading } from '../../proto/index.ts';
import { createLogger, openAccessTokens } from '../../service-kit/index.ts';
import { startRulesService, type RunningRulesService } from '../../cli/rules-service.ts';
import { DEFAULT_CASE_CONFIG } from '../../cases/index.ts';
import { startBareBroker, tempDir, waitFor, type BareBroker } from './helpers.ts';

const PASSWORD = 'silences-test-secret';
const GW = 'gw-0009';
const T0 = Date.now() - 60_000;
const dir = tempDir('tz-silences-');
let broker: BareBroker;
let hook: HttpServer;
const chat: string[] = [];
let service: RunningRulesService;
let gateway: MqttClient;
let seq = 0;
const tokens: Record<string, string> = {};

function coverOpen(deviceId: string, district = 'gulou'): IReading {
  seq += 1;
  return { deviceId, profile: 'manhole-cover', profileVersion: 1, timestampMs: T0 + seq * 1000, seq, district, metrics: [{ name: 'cover_open', flag: true }] };
}

async function publish(readings: IReading[]): Promise<void> {
  await gateway.publishAsync(topics.batch(GW), Buffer.from(encodeUplinkBatch({ gatewayId: GW, batchSeq: seq, sentAtMs: Date.now(), readings })), { qos: 1 });
}

async function api(method: string, path: string, who: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${service.httpUrl}${path}`, {
    method, headers: { authorization: `Bearer ${tokens[who]}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

const alarmOf = async (deviceId: string) => (await api('GET', `/api/v1/alarms?deviceId=${deviceId}`, 'operator')).json.alarms[0];
const casesOf = async (assetId: string) => (await api('GET', `/api/v1/cases?assetId=${assetId}`, 'operator')).json.total as number;

test.before(async () => {
  broker = await startBareBroker({ login: { password: PASSWORD } });
  const brokerUrl = broker.url;
  hook = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      chat.push((JSON.parse(body) as { markdown: { content: string } }).markdown.content);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0,"errmsg":"ok"}');
    });
  });
  await new Promise<void>((ok) => hook.listen(0, '127.0.0.1', ok));
  const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/cgi-bin/webhook/send?key=test-key`;
  const caseConfig = join(dir.path, 'cases.json');
  writeFileSync(caseConfig, JSON.stringify({
    ...(DEFAULT_CASE_CONFIG as object),
    alerts: {
      endpoints: [{ id: 'ops-wecom', kind: 'wecom', url: hookUrl }],
      subscriptions: [{ id: 'ops-new-cases', name: '运行中心', audience: { role: 'operator' }, endpoint: 'ops-wecom', events: ['case.opened'] }],
    },
  }));
  const accessDbPath = join(dir.path, 'access.sqlite');
  const accessDb = new Database(accessDbPath);
  const access = openAccessTokens(accessDb);
  for (const role of ['operator', 'dispatcher', 'readonly'] as const) tokens[role] = access.issue({ name: `${role}-1`, role }).token;
  accessDb.close();
  // The registry (being built) knows mh-asset7 as part of asset-7 in xiping, whatever its readings say.
  const facts: Record<string, { assetId?: string; district?: string }> = { 'mh-asset7': { assetId: 'asset-7', district: 'xiping' } };
  const subscribed = new Promise<void>((ok) => broker.broker.on('subscribe', (subs) => { if (subs.some((x) => x.topic === topics.allBatches)) ok(); }));
  service = await startRulesService({
    brokerUrl, username: 'tz-rules', password: PASSWORD, profiles: loadProfiles(), rulesDbPath: join(dir.path, 'rules.sqlite'),
    casesDbPath: join(dir.path, 'cases.sqlite'), accessDbPath, photoDir: join(dir.path, 'photos'), caseConfig,
    log: (c) => createLogger(c, 'silent'), deviceFacts: (id) => facts[id],
  });
  gateway = await mqtt.connectAsync(brokerUrl, { clientId: 'silence-gw', username: GW, password: PASSWORD, reconnectPeriod: 0 });
  // The rules service must be subscribed before readings are published.
  await subscribed;
});

test.after(async () => {
  await gateway?.endAsync(true);
  await service?.stop();
  await broker?.stop();
  await new Promise<void>((ok) => hook.close(() => ok()));
  dir.remove();
});

let silenceId = '';

test('only operators create silences; bad scopes answer 400', async () => {
  const body = { kind: 'maintenance', matchers: { deviceIds: ['mh-quiet'] }, endsAt: new Date(Date.now() + 3_600_000).toISOString(), reason: '井盖更换 cover replacement' };
  assert.is((await api('POST', '/api/v1/silences', 'dispatcher', body)).status, 403);
  assert.is((await api('POST', '/api/v1/silences', 'readonly', body)).status, 403);
  const empty = await api('POST', '/api/v1/silences', 'operator', { ...body, matchers: {} });
  assert.is(empty.status, 400);
  assert.is((await api('POST', '/api/v1/silences', 'operator', { ...body, endsAt: new Date(Date.now() - 1000).toISOString() })).status, 400);
  const made = await api('POST', '/api/v1/silences', 'operator', body);
  assert.is(made.status, 201);
  assert.is(made.json.state, 'active');
  assert.is(made.json.createdBy, 'operator:operator-1#' + tokens.operator!.split('_')[1]);
  silenceId = made.json.id;
  assert.is((await api('GET', '/api/v1/silences', 'readonly')).json.silences[0].id, silenceId);
});

test('an alarm inside the silence is recorded as silenced, opens no case and sends no alert; one outside does', async () => {
  await publish([coverOpen('mh-quiet'), coverOpen('mh-loud')]);
  await waitFor('case for mh-loud', async () => ((await casesOf('mh-loud')) === 1 ? true : undefined), 15_000, 50);
  await waitFor('alert for mh-loud', () => (chat.some((m) => m.includes('新案件')) ? true : undefined), 10_000, 20);
  const quiet = await alarmOf('mh-quiet');
  assert.ok(quiet, 'the alarm is recorded');
  assert.is(quiet.state, 'active');
  assert.is(quiet.silencedBy, silenceId);
  const loud = await alarmOf('mh-loud');
  assert.is(loud.silencedBy, null);
  assert.ok(chat[0]!.includes(`> **告警 Alarm**: #${loud.id}`), 'the alert names the alarm');
  assert.ok(chat[0]!.includes('Manhole cover opened — mh-loud'));
  assert.is(await casesOf('mh-quiet'), 0, 'no case');
  assert.is(chat.length, 1, 'one alert: the loud cover only');
  const silenced = (await api('GET', '/api/v1/alarms?silenced=true', 'operator')).json.alarms.map((a: { deviceId: string }) => a.deviceId);
  assert.equal(silenced, ['mh-quiet']);
  const metrics = await (await fetch(`${service.httpUrl}/metrics`)).text();
  assert.match(metrics, /tz_rules_alarms_silenced_total\{rule="cover-open"[^}]*\} 1/);
});

test('expiring the silence releases the still-open alarm: case and alert follow; the audit has who, when, why', async () => {
  const expired = await api('POST', `/api/v1/silences/${silenceId}/expire`, 'operator', { reason: '提前完工 finished early' });
  assert.is(expired.status, 200);
  assert.is(expired.json.state, 'expired');
  await waitFor('case for mh-quiet', async () => ((await casesOf('mh-quiet')) === 1 ? true : undefined), 15_000, 50);
  assert.is((await alarmOf('mh-quiet')).silencedBy, null);
  await waitFor('second alert', () => (chat.length === 2 ? true : undefined), 10_000, 20);
  const shown = await api('GET', `/api/v1/silences/${silenceId}`, 'readonly');
  assert.equal(shown.json.history.map((h: { action: string }) => h.action), ['create', 'expire']);
  assert.is(shown.json.history[1].note, '提前完工 finished early');
  assert.match(shown.json.history[1].who, /^operator:operator-1#/);
  const viaRules = await api('GET', `/api/v1/rules/silence:${silenceId}/history`, 'readonly');
  assert.is(viaRules.json.versions.length, 2, 'the same lines in the rule audit table');
});

test('scoped by asset and district through deviceFacts (the registry), not just by the reading', async () => {
  const until = new Date(Date.now() + 3_600_000).toISOString();
  const byAsset = await api('POST', '/api/v1/silences', 'operator', { matchers: { assetIds: ['asset-7'], ruleIds: ['cover-open'] }, endsAt: until, reason: '资产检修' });
  assert.is(byAsset.status, 201);
  await publish([coverOpen('mh-asset7', 'gulou'), coverOpen('mh-other')]);
  await waitFor('case for mh-other', async () => ((await casesOf('mh-other')) === 1 ? true : undefined), 15_000, 50);
  assert.is((await alarmOf('mh-asset7')).silencedBy, byAsset.json.id);
  assert.is(await casesOf('mh-asset7'), 0);
  const del = await fetch(`${service.httpUrl}/api/v1/silences/${byAsset.json.id}?reason=done`, { method: 'DELETE', headers: { authorization: `Bearer ${tokens.operator}` } });
  assert.is(del.status, 204);
  await waitFor('released after delete', async () => ((await casesOf('mh-asset7')) === 1 ? true : undefined), 15_000, 50);
  const history = await api('GET', `/api/v1/rules/silence:${byAsset.json.id}/history`, 'readonly');
  assert.equal(history.json.versions.map((v: { action: string }) => v.action), ['create', 'delete']);
});

test('CLI: tianzhong silences add | list | expire against the same API', async () => {
  const run = promisify(execFile);
  const cli = (...args: string[]) => run(process.execPath, [join(process.cwd(), 'bin/tianzhong.js'), 'silences', ...args, '--api', service.httpUrl], {
    env: { ...process.env, TZ_API_TOKEN: tokens.operator }, timeout: 60_000,
  });
  const added = await cli('add', '--district', 'xiping', '--until', '2h', '--reason', '路面施工 roadworks', '--maintenance', '--json');
  const s = JSON.parse(added.stdout) as { id: string; kind: string; matchers: { districts: string[] } };
  assert.is(s.kind, 'maintenance');
  assert.equal(s.matchers.districts, ['xiping']);
  const listed = await cli('list');
  assert.match(listed.stdout, new RegExp(`\\s${s.id}\\s+active\\s+maintenance .*districts=xiping\\s+"路面施工 roadworks"`));
  const expired = await cli('expire', s.id, '--reason', 'done');
  assert.match(expired.stdout, new RegExp(`silence ${s.id} expired`));
});

test.run();

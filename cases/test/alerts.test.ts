// Subscriptions and quiet hours on a hand-moved clock (no sleeps): which
// subscription wants which event, when a message may go out, and what the
// router queues into the outbox (deferred to the end of quiet hours, urgent
// overriding them, one message per event × subscription).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock, createLogger } from '../../service-kit/index.ts';
import { alertsConfigSchema, maskedEndpoint, resolveEndpointSecrets } from '../alert-config.ts';
import { AlertRouter } from '../alert-router.ts';
import { createAlertChannels } from '../channels/index.ts';
import { alertSms } from '../channels/alert-message.ts';
import { fillTemplate, smsRequest } from '../channels/sms.ts';
import type { CasePriority, NewCase } from '../model.ts';
import { SqliteCaseStore } from '../sqlite-case-store.ts';
import { quietUntil, wants, type Subscription } from '../subscriptions.ts';

const TZ = 'Asia/Shanghai';
/** A Shanghai wall-clock time (UTC+8, no DST) as ms. */
const sh = (isoLocal: string) => Date.parse(`${isoLocal}+08:00`);

test('quietUntil: inside the window answers its end, outside null; windows may wrap midnight', () => {
  const night = { from: '22:00', to: '07:00' };
  const lunch = { from: '12:00', to: '14:00' };
  const table: Array<[string, { from: string; to: string } | null, string, string | null]> = [
    ['late evening', night, '2026-03-02T23:30:00', '2026-03-03T07:00:00'],
    ['at the start', night, '2026-03-02T22:00:00', '2026-03-03T07:00:00'],
    ['after midnight', night, '2026-03-03T01:15:20', '2026-03-03T07:00:00'],
    ['half a minute before the end', night, '2026-03-03T06:59:30', '2026-03-03T07:00:00'],
    ['at the end', night, '2026-03-03T07:00:00', null],
    ['midday', night, '2026-03-03T12:00:00', null],
    ['a minute before the start', night, '2026-03-02T21:59:00', null],
    ['lunch (no wrap)', lunch, '2026-03-03T13:00:00', '2026-03-03T14:00:00'],
    ['after lunch', lunch, '2026-03-03T14:00:01', null],
    ['no quiet hours', null, '2026-03-03T03:00:00', null],
    ['from == to is none', { from: '08:00', to: '08:00' }, '2026-03-03T08:00:00', null],
  ];
  for (const [name, quiet, now, until] of table) {
    assert.is(quietUntil(quiet, sh(now), TZ), until === null ? null : sh(until), name);
  }
});

const sub = (over: Partial<Subscription>): Subscription => ({
  id: 's', name: 's', audience: { role: 'dispatcher' }, endpoint: 'wecom-1', to: null, severities: ['*'], categories: ['*'], events: ['*'],
  quietHours: null, urgentOverridesQuiet: true, active: true, source: 'api', createdAt: 0, updatedAt: 0, ...over,
});

test('wants: audience (crew, department, role), severities, categories, events, active', () => {
  const c = { priority: 'high' as CasePriority, category: 'drainage', department: 'water-drainage', crewId: 'c1' };
  const table: Array<[string, Partial<Subscription>, boolean]> = [
    ['role, everything', {}, true],
    ['own crew', { audience: { crew: 'c1' } }, true],
    ['other crew', { audience: { crew: 'c2' } }, false],
    ['own department', { audience: { department: 'water-drainage' } }, true],
    ['other department', { audience: { department: 'gas' } }, false],
    ['severity listed', { severities: ['urgent', 'high'] }, true],
    ['severity not listed', { severities: ['urgent'] }, false],
    ['category not listed', { categories: ['manhole-cover'] }, false],
    ['event not listed', { events: ['case.closed'] }, false],
    ['inactive', { active: false }, false],
  ];
  for (const [name, over, expected] of table) assert.is(wants(sub(over), c, 'case.dispatched', null), expected, name);
  assert.ok(wants(sub({ audience: { crew: 'c0' } }), c, 'case.reassigned', 'c0'), 'the crew the event is addressed to (previous crew on reassign)');
});

function newCase(priority: CasePriority, at: number): NewCase {
  return {
    status: 'registered', category: 'drainage', department: 'water-drainage', priority, title: '排水口堵塞', description: '', source: 'sensor',
    assetId: 'dr-1', incidentId: null, gatewayId: null, district: 'yicheng', gridCell: null, lat: null, long: null, address: null, crewId: null,
    dispatchDueAt: at + 3_600_000, handleDueAt: null, verifyDueAt: null, dueAt: at + 30 * 3_600_000, escalationLevel: 0, overdueStage: null, reworkCount: 0,
    clearedBeforeDispatch: false, open311Token: null, reporter: null, mediaUrl: null,
  };
}

test('router: in quiet hours a message waits for their end; urgent overrides when the subscription says so; one per event × subscription', async () => {
  const clock = new ManualClock(sh('2026-03-02T23:30:00'));
  const store = new SqliteCaseStore(':memory:');
  const results: string[] = [];
  const alerts = alertsConfigSchema.parse({ endpoints: [{ id: 'wecom-1', kind: 'wecom', url: 'http://127.0.0.1:9/cgi-bin/webhook/send?key=k' }] });
  const router = new AlertRouter({
    alerts, endpoints: alerts.endpoints, channels: createAlertChannels(), clock, log: createLogger('cases', 'silent'), categoryName: (c) => c,
    onQueued: (_ch, r) => results.push(r),
  });
  const night = { from: '22:00', to: '07:00' };
  try {
    await store.atomically(async (tx) => {
      await tx.putSubscription(sub({ id: 'quiet-override', quietHours: night, urgentOverridesQuiet: true }));
      await tx.putSubscription(sub({ id: 'quiet-strict', quietHours: night, urgentOverridesQuiet: false }));
      await tx.putSubscription(sub({ id: 'always', quietHours: null }));
    });
    const now = clock.now();
    const morning = sh('2026-03-03T07:00:00');
    const due = async (priority: CasePriority) => store.atomically(async (tx) => {
      const c = await tx.insertCase(newCase(priority, now), now);
      await router.queue(tx, c, 'case.opened', { crewId: null });
      await router.queue(tx, c, 'case.opened', { crewId: null });
      const rows = await tx.listOutbox({ caseId: c.id, limit: 10 });
      return Object.fromEntries(rows.map((m) => [m.subscriptionId, m.nextAttemptAt]));
    });
    assert.equal(await due('normal'), { 'quiet-override': morning, 'quiet-strict': morning, always: now });
    assert.equal(await due('urgent'), { 'quiet-override': now, 'quiet-strict': morning, always: now });
    assert.equal(results.filter((r) => r === 'duplicate').length, 6, 'the second queue of each event was a no-op');
    assert.equal(results.filter((r) => r === 'deferred').length, 3);

    clock.set(sh('2026-03-03T09:00:00'));
    const day = await store.atomically(async (tx) => {
      const c = await tx.insertCase(newCase('low', clock.now()), clock.now());
      await router.queue(tx, c, 'case.opened', { crewId: null });
      return (await tx.listOutbox({ caseId: c.id, limit: 10 })).map((m) => m.nextAttemptAt);
    });
    assert.equal(day, [clock.now(), clock.now(), clock.now()], 'by day nothing waits');
  } finally {
    await store.close();
  }
});

test('SMS: {phone} and {text} filled as plain text (no expressions), escaped for where they land; long texts cut and segments counted', () => {
  assert.is(fillTemplate('{"to":"{phone}","t":"{text}","x":"{other}"}', { phone: '1', text: '${process.exit()}' }, (v) => v), '{"to":"1","t":"${process.exit()}","x":"{other}"}');
  const e = { id: 'sms-1', kind: 'sms' as const, method: 'GET' as const, url: 'https://sms.example/send?to={phone}&msg={text}', headers: { 'x-key': 'k' }, bodyType: 'json' as const, maxLength: 134, okCodes: [], retryableCodes: [] };
  const req = smsRequest(e, '+8613800000000', '井盖 & "x"');
  assert.is(req.url, 'https://sms.example/send?to=%2B8613800000000&msg=%E4%BA%95%E7%9B%96%20%26%20%22x%22');
  assert.is(req.body, undefined);
  const json = smsRequest({ ...e, method: 'POST', body: '{"m":"{phone}","c":"{text}"}' }, '13800000000', 'a "quoted"\nline');
  assert.equal(JSON.parse(json.body!), { m: '13800000000', c: 'a "quoted"\nline' });
  assert.is(json.headers['content-type'], 'application/json; charset=utf-8');
  const form = smsRequest({ ...e, method: 'POST', bodyType: 'form', body: 'to={phone}&text={text}' }, '13800000000', 'a&b=c');
  assert.is(form.body, 'to=13800000000&text=a%26b%3Dc');

  const message = { eventKey: 'k', type: 'case.opened' as const, caseId: 7, alarmIds: [], urgent: false, titleZh: '案件 #7 新案件', titleEn: 'Case #7 new case', link: null,
    fields: [{ zh: '位置', en: 'Location', value: '很长的地址'.repeat(40) }] };
  const sms = alertSms(message, '天中', 134);
  assert.ok(sms.truncated);
  assert.is([...sms.text].length, 134);
  assert.ok(sms.text.endsWith('…'));
  assert.is(sms.segments, 2, '134 characters = two concatenated segments of 67');
  assert.is(alertSms({ ...message, fields: [] }, '天中', 134).segments, 1);
});

test('endpoint secrets: ${ENV} filled at start; a missing variable or a bad URL stops start-up naming the field, not the value', () => {
  const endpoints = alertsConfigSchema.parse({ endpoints: [
    { id: 'w', kind: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${K}' },
    { id: 'm', kind: 'email', host: 'smtp.example.cn', from: 'a@b.cn', password: '${P}' },
  ] }).endpoints;
  const filled = resolveEndpointSecrets(endpoints, { K: 'key-123', P: 'pw-456' });
  assert.is((filled[0] as { url: string }).url, 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=key-123');
  assert.is((filled[1] as { password?: string }).password, 'pw-456');
  assert.equal(maskedEndpoint(filled[0]!), { id: 'w', kind: 'wecom', name: 'w', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=****', secretSet: true });
  assert.not.ok(JSON.stringify(maskedEndpoint(filled[1]!)).includes('pw-456'));
  assert.throws(() => resolveEndpointSecrets(endpoints, { K: 'key-123' }), /alerts\.endpoints\.1\.password: environment variable P is not set/);
  const bad = alertsConfigSchema.parse({ endpoints: [{ id: 'w', kind: 'wecom', url: 'qyapi/send?key=${K}' }] }).endpoints;
  assert.throws(() => resolveEndpointSecrets(bad, { K: 'key-123' }), (err: Error) => /endpoints\.0\.url: not an http\(s\) URL/.test(err.message) && !err.message.includes('key-123'));
});

test.run();

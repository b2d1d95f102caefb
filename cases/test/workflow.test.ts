import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CaseNotification } from '../model.ts';
import { computeKpis } from '../kpis.ts';
import type { ActorRef } from '../case-workflow.ts';
import { HOUR, T0, alarm, event, openFixture } from './fixtures.ts';

const MIN = 60_000;
const dispatcher: ActorRef = { who: 'dispatcher:d', role: 'dispatcher', crewId: null };
const operator: ActorRef = { who: 'operator:o', role: 'operator', crewId: null };
const inspector: ActorRef = { who: 'inspector:i', role: 'inspector', crewId: null };
const crew1: ActorRef = { who: 'crew:c1', role: 'crew', crewId: 'c1' };

test('alarm → case: one per alarm event id, per asset, per incident; updates and ignores', async () => {
  const f = await openFixture();
  try {
    const sink = f.system.alarmSink as typeof f.system.alarmSink & { intake(e: ReturnType<typeof event>): Promise<string> };
    const first = alarm();
    const raised = event('raised', first);
    assert.is(await sink.intake(raised), 'opened');
    assert.is(await sink.intake(raised), 'duplicate', 'the same event id twice changes nothing');
    assert.is(await sink.intake(event('updated', { ...first, count: 5 })), 'updated', 'a repeat of the same alarm updates its link');
    assert.is(await sink.intake(event('raised', alarm({ ruleId: 'cover-tilted', case: { category: 'manhole-cover', priority: 'high' } }))), 'absorbed', 'same asset joins');
    assert.is(await sink.intake(event('raised', alarm({ deviceId: 'mc-0002', incidentId: 'inc-7' }))), 'opened');
    assert.is(await sink.intake(event('raised', alarm({ deviceId: 'mc-0003', incidentId: 'inc-7' }))), 'absorbed', 'same incident joins');
    assert.is(await sink.intake(event('raised', alarm({ deviceId: 'mc-0004', case: null }))), 'ignored', 'no case setting, no case');
    const cases = await f.system.store.atomically((tx) => tx.listCases({}));
    assert.is(cases.length, 2);
    const cover = cases.find((c) => c.assetId === 'mc-0001')!;
    assert.is(cover.source, 'sensor');
    assert.is(cover.status, 'dispatched', 'auto-dispatched');
    assert.is(cover.crewId, 'c1', 'the crew of the district beats the crew of everywhere');
    assert.is((await f.system.store.atomically((tx) => tx.alarmsOf(cover.id))).length, 2);
    const trail = (await f.system.store.atomically((tx) => tx.eventsOf(cover.id))).map((e) => e.action);
    assert.equal(trail, ['report', 'register', 'dispatch', 'alarm-absorbed']);
  } finally {
    await f.close();
  }
});

test('alarm cleared before dispatch is noted; closing a case closes its alarms through the outbox', async () => {
  const closed: Array<{ ids: string[]; caseId: string; by: string }> = [];
  const f = await openFixture({ config: { autoDispatch: false }, closeAlarms: (ids, caseId, by) => void closed.push({ ids, caseId, by }) });
  try {
    const a = alarm({ deviceId: 'mc-0100' });
    await f.system.alarmSink.deliver(event('raised', a));
    const b = alarm({ deviceId: 'mc-0100', ruleId: 'cover-tilted' });
    await f.system.alarmSink.deliver(event('raised', b));
    await f.system.alarmSink.deliver(event('cleared', { ...a, state: 'cleared', clearedAt: new Date(T0).toISOString() }));
    let [c] = await f.system.store.atomically((tx) => tx.listCases({ assetId: 'mc-0100' }));
    assert.ok(c);
    assert.is(c.status, 'registered');
    assert.is(c.clearedBeforeDispatch, true);
    const notes = (await f.system.store.atomically((tx) => tx.eventsOf(c!.id))).filter((e) => e.action === 'alarm-cleared-before-dispatch');
    assert.is(notes.length, 1);
    for (const [action, actor] of [['dispatch', dispatcher], ['accept', crew1], ['handle', crew1], ['verify', inspector], ['close', operator]] as const) {
      c = await f.system.workflow.act(c.id, action, actor, { crewId: action === 'dispatch' ? 'c1' : null, evidence: action === 'verify' ? 'patrol photo' : null });
    }
    assert.is(c.status, 'closed');
    await f.system.deliverOutbox();
    assert.equal(closed, [{ ids: [a.id, b.id], caseId: String(c.id), by: 'operator:o' }], 'cleared and active alarms of the case are closed');
  } finally {
    await f.close();
  }
});

test('a repeat alarm within the reopen window reopens the case as rework; after it, a new case', async () => {
  const f = await openFixture({ config: { reopenWindowHours: 24 } });
  try {
    await f.system.alarmSink.deliver(event('raised', alarm({ deviceId: 'mc-0200' })));
    let [c] = await f.system.store.atomically((tx) => tx.listCases({ assetId: 'mc-0200' }));
    for (const [action, actor] of [['accept', crew1], ['handle', crew1], ['verify', inspector], ['close', operator]] as const) c = await f.system.workflow.act(c!.id, action, actor, { evidence: 'on-site check' });
    f.clock.advance(2 * HOUR);
    await f.system.alarmSink.deliver(event('raised', alarm({ deviceId: 'mc-0200' })));
    assert.is(await f.system.store.atomically((tx) => tx.countCases({ assetId: 'mc-0200' })), 1, 'the repeat reopened the case: no second case');
    const again = await f.system.store.atomically((tx) => tx.getCase(c!.id));
    assert.is(again?.reworkCount, 1);
    assert.is(again?.status, 'dispatched', 'reopened and dispatched again');
    assert.is(again?.crewId, 'c1', 'to the crew that did the work');
    const reopen = (await f.system.store.atomically((tx) => tx.eventsOf(c!.id))).find((e) => e.action === 'reopen');
    assert.is(reopen?.detail.rework, true);
    for (const [action, actor] of [['accept', crew1], ['handle', crew1], ['verify', inspector], ['close', operator]] as const) await f.system.workflow.act(c!.id, action, actor, { evidence: 'on-site check' });
    f.clock.advance(25 * HOUR);
    await f.system.alarmSink.deliver(event('raised', alarm({ deviceId: 'mc-0200' })));
    assert.is(await f.system.store.atomically((tx) => tx.countCases({ assetId: 'mc-0200' })), 2);
  } finally {
    await f.close();
  }
});

test('unknown alarm category is filed under the fallback category and counted', async () => {
  const f = await openFixture();
  try {
    await f.system.alarmSink.deliver(event('raised', alarm({ deviceId: 'x-1', case: { category: 'no-such-thing', priority: 'weird' } })));
    const [c] = await f.system.store.atomically((tx) => tx.listCases({ assetId: 'x-1' }));
    assert.is(c?.category, 'other-event');
    assert.is(c?.priority, 'normal');
    const [report] = await f.system.store.atomically((tx) => tx.eventsOf(c!.id));
    assert.is(report?.detail.requestedCategory, 'no-such-thing');
  } finally {
    await f.close();
  }
});

test('SLA: overdue flagged and escalated by level, idempotent, crew notified; a new stage starts clean', async () => {
  const published: Array<{ topic: string; body: CaseNotification }> = [];
  const f = await openFixture({ publishMqtt: async (topic, payload) => void published.push({ topic, body: JSON.parse(payload) as CaseNotification }) });
  try {
    await f.system.alarmSink.deliver(event('raised', alarm({ deviceId: 'mc-0300' }))); // urgent: handle within 2 h
    const [c] = await f.system.store.atomically((tx) => tx.listCases({ assetId: 'mc-0300' }));
    assert.is(c?.handleDueAt, T0 + 2 * HOUR);
    assert.is(await f.system.runSlaCheck(), 0);
    f.clock.set(T0 + 2 * HOUR);
    assert.is(await f.system.runSlaCheck(), 0, 'at the deadline is still on time');
    f.clock.advance(1);
    assert.is(await f.system.runSlaCheck(), 1);
    assert.is(await f.system.runSlaCheck(), 0, 'same level twice is not escalated twice');
    let now = await f.system.store.atomically((tx) => tx.getCase(c!.id));
    assert.is(now?.overdueStage, 'handle');
    assert.is(now?.escalationLevel, 1);
    await f.system.workflow.act(c!.id, 'accept', crew1, {});
    assert.is(await f.system.runSlaCheck(), 0, 'accepting does not restart the handle stage');
    f.clock.set(T0 + 4 * HOUR + 1);
    assert.is(await f.system.runSlaCheck(), 1);
    f.clock.set(T0 + 30 * HOUR);
    assert.is(await f.system.runSlaCheck(), 1);
    assert.is(await f.system.runSlaCheck(), 0);
    now = await f.system.store.atomically((tx) => tx.getCase(c!.id));
    assert.is(now?.escalationLevel, 3, 'capped at level 3');
    await f.system.deliverOutbox();
    const escalations = published.filter((p) => p.body.type === 'case.escalated');
    assert.equal(escalations.map((p) => p.body.escalation?.level), [1, 2, 3]);
    assert.is(escalations[0]?.topic, 'tz/v1/crews/c1/cases');
    assert.is(published[0]?.body.type, 'case.dispatched');
    await f.system.workflow.act(c!.id, 'handle', crew1, {});
    now = await f.system.store.atomically((tx) => tx.getCase(c!.id));
    assert.is(now?.overdueStage, null, 'the verify stage starts un-escalated');
    assert.is(now?.escalationLevel, 0);
    assert.is(now?.verifyDueAt, T0 + 31 * HOUR);
    const lines = (await f.system.store.atomically((tx) => tx.eventsOf(c!.id))).filter((e) => e.action === 'escalated');
    assert.is(lines.length, 3);
    assert.is(lines[0]?.who, 'sla-checker');
  } finally {
    await f.close();
  }
});

test('SLA: a registered case no crew serves is escalated at the dispatch deadline', async () => {
  const f = await openFixture({ config: { autoDispatch: false } });
  try {
    const c = await f.system.workflow.create({ category: 'exposed-rubbish', priority: 'low', title: 'Rubbish', source: 'inspector', district: 'east', register: true }, operator);
    assert.is(c.dispatchDueAt, T0 + 4 * HOUR);
    f.clock.set(T0 + 4 * HOUR + MIN);
    assert.is(await f.system.runSlaCheck(), 1);
    const now = await f.system.store.atomically((tx) => tx.getCase(c.id));
    assert.is(now?.overdueStage, 'dispatch');
    const list = await f.system.store.atomically((tx) => tx.listCases({ overdue: true }));
    assert.equal(list.map((x) => x.id), [c.id]);
  } finally {
    await f.close();
  }
});

test('KPIs: arithmetic on a known set of cases, from the audit trail', async () => {
  const f = await openFixture({ config: { autoDispatch: false } });
  const at = (minutes: number) => f.clock.set(T0 + minutes * MIN);
  const act = (id: number, action: Parameters<typeof f.system.workflow.act>[1], actor: ActorRef, crewId: string | null = null) =>
    f.system.workflow.act(id, action, actor, { crewId, note: action === 'cancel' ? 'duplicate report' : null, evidence: action === 'verify' ? 'patrol photo' : null });
  try {
    // A: sensor, urgent (dispatch 0.5 h, handle 2 h, verify 1 h): everything on time.
    at(0);
    await f.system.alarmSink.deliver(event('raised', alarm({ deviceId: 'kpi-a', district: 'north' })));
    const [a] = await f.system.store.atomically((tx) => tx.listCases({ assetId: 'kpi-a' }));
    at(6); await act(a!.id, 'dispatch', dispatcher, 'c1');
    at(16); await act(a!.id, 'accept', crew1);
    at(76); await act(a!.id, 'handle', crew1);
    at(106); await act(a!.id, 'verify', inspector);
    at(111); await act(a!.id, 'close', operator);
    // B: operator, normal (2 h, 24 h, 8 h): verified and closed late.
    at(10);
    const b = await f.system.workflow.create({ category: 'drainage', priority: 'normal', title: 'Blocked drain', source: 'operator', district: 'north', register: true }, operator);
    at(70); await act(b.id, 'dispatch', dispatcher, 'c1');
    at(130); await act(b.id, 'accept', crew1);
    at(1810); await act(b.id, 'handle', crew1);
    at(2410); await act(b.id, 'verify', inspector);
    at(2420); await act(b.id, 'close', operator);
    // C: sensor, cancelled.  D: inspector, left registered.
    at(20);
    await f.system.alarmSink.deliver(event('raised', alarm({ deviceId: 'kpi-c', district: 'south' })));
    const [c] = await f.system.store.atomically((tx) => tx.listCases({ assetId: 'kpi-c' }));
    at(30); await act(c!.id, 'cancel', operator);
    at(40);
    await f.system.workflow.create({ category: 'exposed-rubbish', priority: 'normal', title: 'Rubbish', source: 'inspector', district: 'south', register: true }, operator);

    const cases = await f.system.store.atomically((tx) => tx.listCases({ limit: 1000 }));
    const events = await f.system.store.atomically((tx) => tx.eventsOfCases(cases.map((x) => x.id)));
    const all = computeKpis(cases, events, { from: T0 - HOUR, to: T0 + 72 * HOUR, district: null });
    assert.equal(all.counts, { reported: 4, registered: 4, bySensor: 2, closed: 2, closedOnTime: 1, cancelled: 1, rejected: 0, open: 1, verifications: 2, verificationsOnTime: 1, reworks: 0, escalatedCases: 0, ratings: 0, satisfied: 0, basicallySatisfied: 0, dissatisfied: 0 });
    assert.is(all.closureRate, 0.6667);
    assert.is(all.onTimeClosureRate, 0.5);
    assert.is(all.onTimeVerificationRate, 0.5);
    assert.is(all.sensorShare, 0.5);
    assert.equal(all.meetsTargets, { onTimeVerificationRate: false, closureRate: false, sensorShare: true });
    assert.equal(all.meanStageMinutes, { toRegister: 0, toDispatch: 33, toAccept: 35, toHandle: 870, toVerify: 315, toClose: 7.5, total: 1260.5 });

    const north = computeKpis(cases.filter((x) => x.district === 'north'), events, { from: T0 - HOUR, to: T0 + 72 * HOUR, district: 'north' });
    assert.is(north.counts.reported, 2);
    assert.is(north.closureRate, 1);
    const late = computeKpis(cases, events, { from: T0 + 15 * MIN, to: T0 + 72 * HOUR, district: null });
    assert.is(late.counts.reported, 2, 'only C and D were reported after 08:15');
    const early = computeKpis(cases, events, { from: T0 - HOUR, to: T0 + 100 * MIN, district: null });
    assert.is(early.counts.closed, 0, 'as of 09:40 nothing was closed yet');
    assert.is(early.counts.cancelled, 1);
    assert.is(early.counts.open, 3);
    assert.is(early.closureRate, 0);
  } finally {
    await f.close();
  }
});

test.run();

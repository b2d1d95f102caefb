// The shared CaseStore suite (as MQTT.js's abstract_store): every store
// implementation — SQLite now, PostgreSQL later — must pass it.
import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import type { CaseStore } from '../case-store.ts';
import type { NewCase } from '../model.ts';

export function sampleCase(over: Partial<NewCase> = {}): NewCase {
  return {
    status: 'reported', category: 'manhole-cover', department: 'municipal-facilities', priority: 'high', title: 'Cover open', description: '',
    source: 'sensor', assetId: 'mc-1', incidentId: null, gatewayId: 'gw-1', district: 'north', gridCell: null, lat: null, long: null, address: null,
    crewId: null, dispatchDueAt: 1000, handleDueAt: null, verifyDueAt: null, dueAt: 5000, escalationLevel: 0, overdueStage: null, reworkCount: 0,
    clearedBeforeDispatch: false, open311Token: `tok-${Math.random()}`, reporter: { email: 'a@b.c' }, mediaUrl: null, ...over,
  };
}

export function caseStoreSuite(test: Test, open: () => Promise<CaseStore>): void {
  test('store: insert, get, patch with optimistic version, list and count', async () => {
    const store = await open();
    const c = await store.atomically((tx) => tx.insertCase(sampleCase(), 100));
    assert.is(c.version, 1);
    assert.equal(c.reporter, { email: 'a@b.c' });
    const updated = await store.atomically((tx) => tx.updateCase(c.id, 1, { status: 'registered', clearedBeforeDispatch: true }, 200));
    assert.is(updated?.status, 'registered');
    assert.is(updated?.version, 2);
    assert.is(updated?.clearedBeforeDispatch, true);
    assert.is(updated?.updatedAt, 200);
    assert.is(await store.atomically((tx) => tx.updateCase(c.id, 1, { status: 'closed' }, 300)), null, 'a stale version must not apply');
    await store.atomically((tx) => tx.insertCase(sampleCase({ assetId: 'mc-2', district: 'south', status: 'closed' }), 150));
    assert.is(await store.atomically((tx) => tx.countCases({ status: 'open' })), 1);
    assert.is((await store.atomically((tx) => tx.listCases({ district: 'south' })))[0]?.assetId, 'mc-2');
    assert.is(await store.atomically((tx) => tx.countCases({ createdFrom: 120, createdTo: 200 })), 1);
    await store.close();
  });

  test('store: a failed transaction leaves nothing behind (case, audit line and outbox commit together)', async () => {
    const store = await open();
    try {
      await store.atomically(async (tx) => {
        const c = await tx.insertCase(sampleCase(), 1);
        await tx.appendEvent({ caseId: c.id, at: 1, who: 'x', action: 'report', fromStatus: null, toStatus: 'reported', note: null, detail: {} });
        await tx.enqueue(c.id, { channel: 'mqtt', target: 't', payload: '{}' }, 1);
        throw new Error('boom');
      });
      assert.unreachable('should throw');
    } catch (err) {
      assert.is((err as Error).message, 'boom');
    }
    assert.is(await store.atomically((tx) => tx.countCases({})), 0);
    assert.equal(await store.atomically((tx) => tx.outboxCounts()), []);
    await store.close();
  });

  test('store: open case by incident or asset; closed-since for reopen', async () => {
    const store = await open();
    const a = await store.atomically((tx) => tx.insertCase(sampleCase({ incidentId: 'inc-1', assetId: 'mc-9' }), 1));
    assert.is((await store.atomically((tx) => tx.findOpenCase({ incidentId: 'inc-1' })))?.id, a.id);
    assert.is((await store.atomically((tx) => tx.findOpenCase({ assetId: 'mc-9' })))?.id, a.id);
    assert.is(await store.atomically((tx) => tx.findOpenCase({ assetId: 'other' })), null);
    await store.atomically((tx) => tx.updateCase(a.id, 1, { status: 'closed', closedAt: 500 }, 500));
    assert.is(await store.atomically((tx) => tx.findOpenCase({ assetId: 'mc-9' })), null);
    assert.is((await store.atomically((tx) => tx.findClosedSince('mc-9', 400)))?.id, a.id);
    assert.is(await store.atomically((tx) => tx.findClosedSince('mc-9', 501)), null);
    await store.close();
  });

  test('store: alarm links and remembered event ids', async () => {
    const store = await open();
    const c = await store.atomically((tx) => tx.insertCase(sampleCase(), 1));
    await store.atomically((tx) => tx.linkAlarm({ caseId: c.id, alarmId: 'a1', ruleId: 'r', state: 'active', linkedAt: 1, updatedAt: 1 }));
    await store.atomically((tx) => tx.updateAlarmLink('a1', 'cleared', 2));
    assert.is(await store.atomically((tx) => tx.caseOfAlarm('a1')), c.id);
    assert.is((await store.atomically((tx) => tx.alarmsOf(c.id)))[0]?.state, 'cleared');
    assert.is(await store.atomically((tx) => tx.rememberAlarmEvent('e1', 10)), true);
    assert.is(await store.atomically((tx) => tx.rememberAlarmEvent('e1', 11)), false);
    assert.is(await store.atomically((tx) => tx.forgetAlarmEventsBefore(11)), 1);
    assert.is(await store.atomically((tx) => tx.rememberAlarmEvent('e1', 12)), true);
    await store.close();
  });

  test('store: outbox due, failed with backoff, dead, retried, delivered', async () => {
    const store = await open();
    const c = await store.atomically((tx) => tx.insertCase(sampleCase(), 1));
    const m = await store.atomically((tx) => tx.enqueue(c.id, { channel: 'webhook', target: 'http://x', payload: '{"a":1}' }, 100));
    assert.is(m.state, 'pending');
    assert.is((await store.atomically((tx) => tx.dueOutbox(100, 10))).length, 1);
    await store.atomically((tx) => tx.markFailed(m.id, 'HTTP 500', 200, false));
    assert.is((await store.atomically((tx) => tx.dueOutbox(150, 10))).length, 0, 'not due before its retry time');
    assert.is(await store.atomically((tx) => tx.nextOutboxDue()), 200);
    await store.atomically((tx) => tx.markFailed(m.id, 'HTTP 500', 400, true));
    assert.equal(await store.atomically((tx) => tx.outboxCounts()), [{ channel: 'webhook', state: 'dead', count: 1 }]);
    assert.is(await store.atomically((tx) => tx.retryOutbox(m.id, 500)), true);
    const [again] = await store.atomically((tx) => tx.dueOutbox(500, 10));
    assert.is(again?.attempts, 0);
    await store.atomically((tx) => tx.markDelivered(m.id, 600));
    const [done] = await store.atomically((tx) => tx.listOutbox({ caseId: c.id }));
    assert.is(done?.state, 'delivered');
    assert.is(done?.deliveredAt, 600);
    assert.is(await store.atomically((tx) => tx.retryOutbox(m.id, 700)), false);
    await store.close();
  });

  test('store: crews, load, photos, events in order', async () => {
    const store = await open();
    await store.atomically((tx) => tx.upsertCrew({ id: 'c1', name: 'One', department: 'd', districts: ['north'], gridCells: [], skills: ['*'], webhookUrl: null, active: true }));
    await store.atomically((tx) => tx.upsertCrew({ id: 'c1', name: 'One bis', department: 'd', districts: ['north', 'south'], gridCells: ['g1'], skills: ['*'], webhookUrl: 'http://h', active: false }));
    const crew = await store.atomically((tx) => tx.getCrew('c1'));
    assert.equal(crew, { id: 'c1', name: 'One bis', department: 'd', districts: ['north', 'south'], gridCells: ['g1'], skills: ['*'], webhookUrl: 'http://h', active: false });
    const c = await store.atomically((tx) => tx.insertCase(sampleCase({ crewId: 'c1', status: 'dispatched' }), 1));
    assert.is((await store.atomically((tx) => tx.openCaseCounts())).get('c1'), 1);
    await store.atomically((tx) => tx.addPhoto({ id: 'p1', caseId: c.id, file: '1/p1.jpg', mime: 'image/jpeg', size: 3, sha256: 'x', uploadedBy: 'u', at: 5 }));
    assert.is((await store.atomically((tx) => tx.getPhoto(c.id, 'p1')))?.file, '1/p1.jpg');
    assert.is(await store.atomically((tx) => tx.getPhoto(c.id + 1, 'p1')), null);
    for (const action of ['a', 'b', 'c']) await store.atomically((tx) => tx.appendEvent({ caseId: c.id, at: 1, who: 'w', action, fromStatus: null, toStatus: null, note: null, detail: { action } }));
    assert.equal((await store.atomically((tx) => tx.eventsOf(c.id))).map((e) => e.action), ['a', 'b', 'c']);
    assert.equal((await store.atomically((tx) => tx.eventsOfCases([c.id])))[2]?.detail, { action: 'c' });
    await store.close();
  });

  test('store: transactions never interleave', async () => {
    const store = await open();
    const c = await store.atomically((tx) => tx.insertCase(sampleCase(), 1));
    // Ten concurrent read-modify-write transactions must all apply.
    await Promise.all(Array.from({ length: 10 }, () => store.atomically(async (tx) => {
      const cur = (await tx.getCase(c.id))!;
      await Promise.resolve();
      const next = await tx.updateCase(c.id, cur.version, { reworkCount: cur.reworkCount + 1 }, 2);
      assert.ok(next, 'no lost update');
    })));
    assert.is((await store.atomically((tx) => tx.getCase(c.id)))?.reworkCount, 10);
    await store.close();
  });
  test('store: alert subscriptions CRUD; enqueueOnce queues one message per idempotency key, due when asked', async () => {
    const store = await open();
    const sub = {
      id: 'desk', name: '调度台', audience: { role: 'dispatcher' as const }, endpoint: 'wecom-1', to: null, severities: ['*' as const], categories: ['*'], events: ['*' as const],
      quietHours: { from: '22:00', to: '07:00' }, urgentOverridesQuiet: true, active: true, source: 'api' as const, createdAt: 1, updatedAt: 1,
    };
    await store.atomically((tx) => tx.putSubscription(sub));
    await store.atomically((tx) => tx.putSubscription({ ...sub, name: '调度台 2', updatedAt: 5 }));
    assert.equal(await store.atomically((tx) => tx.getSubscription('desk')), { ...sub, name: '调度台 2', updatedAt: 5 });
    assert.is((await store.atomically((tx) => tx.listSubscriptions())).length, 1);
    const c = await store.atomically((tx) => tx.insertCase(sampleCase(), 1));
    const m = { channel: 'wecom' as const, target: 'wecom-1', payload: '{}' };
    const first = await store.atomically((tx) => tx.enqueueOnce(c.id, m, 10, { dedupKey: 'e1|desk', dueAt: 500, subscriptionId: 'desk' }));
    assert.is(first?.nextAttemptAt, 500);
    assert.is(first?.dedupKey, 'e1|desk');
    assert.is(await store.atomically((tx) => tx.enqueueOnce(c.id, m, 11, { dedupKey: 'e1|desk', dueAt: 10, subscriptionId: 'desk' })), null, 'same key: nothing queued');
    assert.is((await store.atomically((tx) => tx.dueOutbox(499, 10))).length, 0, 'not due before dueAt');
    assert.is((await store.atomically((tx) => tx.dueOutbox(500, 10))).length, 1);
    assert.is((await store.atomically((tx) => tx.listOutbox({ channel: 'wecom' }))).length, 1);
    assert.ok(await store.atomically((tx) => tx.deleteSubscription('desk')));
    assert.not.ok(await store.atomically((tx) => tx.deleteSubscription('desk')));
    await store.close();
  });
}

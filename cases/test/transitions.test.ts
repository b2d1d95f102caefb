import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isTzError } from '../../service-kit/index.ts';
import { CASE_STATUSES, type CaseStatus } from '../model.ts';
import { CASE_ACTIONS, TRANSITIONS, checkTransition, type CaseAction } from '../transitions.ts';
import type { ActorRef } from '../case-workflow.ts';
import { sampleCase } from './case-store.suite.ts';
import { openFixture } from './fixtures.ts';

const actorFor = (action: CaseAction): ActorRef => {
  const role = TRANSITIONS[action].roles.find((r) => r !== 'system')!;
  return { who: `${role}:tester`, role, crewId: role === 'crew' ? 'c1' : null };
};

// Every (status, action) pair, executed through the workflow: legal ones land
// in the table's target state with an audit line; the rest are refused and
// change nothing.
for (const from of CASE_STATUSES) {
  for (const action of CASE_ACTIONS) {
    const legal = TRANSITIONS[action].from.includes(from);
    test(`${from} --${action}--> ${legal ? TRANSITIONS[action].to : 'refused'}`, async () => {
      const f = await openFixture({ config: { autoDispatch: false } });
      try {
        const store = f.system.store;
        const c = await store.atomically((tx) => tx.insertCase(sampleCase({ status: from, crewId: 'c1', handleDueAt: 9e12, verifyDueAt: 9e12 }), f.clock.now()));
        f.clock.advance(60_000);
        const input = { note: 'because', crewId: action === 'dispatch' || action === 'reassign' ? 'c2' : null };
        if (legal) {
          const after = await f.system.workflow.act(c.id, action, actorFor(action), input);
          assert.is(after.status, TRANSITIONS[action].to);
          const [line] = (await store.atomically((tx) => tx.eventsOf(c.id))).slice(-1);
          assert.is(line?.action, action);
          assert.is(line?.fromStatus, from);
          assert.is(line?.toStatus, TRANSITIONS[action].to);
          assert.is(line?.who, actorFor(action).who);
          assert.is(line?.note, 'because');
          assert.is(line?.at, f.clock.now());
        } else {
          try {
            await f.system.workflow.act(c.id, action, actorFor(action), input);
            assert.unreachable(`${action} from ${from} must be refused`);
          } catch (err) {
            assert.ok(isTzError(err, 'TZ_CASE_TRANSITION'), String(err));
          }
          const now = await store.atomically((tx) => tx.getCase(c.id));
          assert.is(now?.status, from);
          assert.is((await store.atomically((tx) => tx.eventsOf(c.id))).length, 0);
        }
      } finally {
        await f.close();
      }
    });
  }
}

test('wrong role is refused with TZ_FORBIDDEN; admin may act; system may not reject', () => {
  const refused = checkTransition('verify', 'handled', 'crew', null);
  assert.is(refused.ok, false);
  assert.is(!refused.ok && refused.reason, 'role');
  assert.is(checkTransition('accept', 'dispatched', 'readonly', null).ok, false);
  assert.is(checkTransition('verify', 'handled', 'admin', null).ok, true);
  assert.is(checkTransition('reject', 'reported', 'system', 'x').ok, false);
});

test('reasons are required for reject, return, rework, cancel, reopen', () => {
  for (const [action, from] of [['reject', 'reported'], ['return', 'dispatched'], ['rework', 'handled'], ['cancel', 'registered'], ['reopen', 'closed']] as Array<[CaseAction, CaseStatus]>) {
    const r = checkTransition(action, from, 'admin', '  ');
    assert.is(!r.ok && r.reason, 'note', action);
  }
});

test('a crew cannot act on another crew\'s case', async () => {
  const f = await openFixture({ config: { autoDispatch: false } });
  try {
    const c = await f.system.store.atomically((tx) => tx.insertCase(sampleCase({ status: 'dispatched', crewId: 'c2' }), f.clock.now()));
    try {
      await f.system.workflow.act(c.id, 'accept', { who: 'crew:x', role: 'crew', crewId: 'c1' }, {});
      assert.unreachable();
    } catch (err) {
      assert.ok(isTzError(err, 'TZ_CASE_NOT_FOUND'));
    }
    assert.is((await f.system.workflow.act(c.id, 'accept', { who: 'crew:y', role: 'crew', crewId: 'c2' }, {})).status, 'in_progress');
  } finally {
    await f.close();
  }
});

test.run();

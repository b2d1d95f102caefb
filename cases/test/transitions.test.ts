import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROLES, isTzError } from '../../service-kit/index.ts';
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
        const input = { note: 'because', crewId: action === 'dispatch' || action === 'reassign' ? 'c2' : null, evidence: 'site photo ref' };
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

// Every (state, action, role) triple the table allows from its states: who may
// and who may not, as GB/T 30428 splits the work between the command centre,
// departments' crews and the supervision centre.
const ROLE_TABLE: Record<CaseAction, readonly string[]> = {
  register: ['operator', 'dispatcher', 'system'], reject: ['operator', 'dispatcher'], dispatch: ['operator', 'dispatcher', 'system'],
  reassign: ['dispatcher'], accept: ['crew'], return: ['crew', 'dispatcher'], handle: ['crew'], rework: ['inspector', 'dispatcher'],
  verify: ['inspector'], close: ['operator', 'dispatcher'], cancel: ['operator', 'dispatcher'], reopen: ['operator', 'system'], arrive: ['crew'],
};
const EVERY_ACTOR = [...ROLES, 'system'] as const;
for (const action of CASE_ACTIONS) {
  for (const from of TRANSITIONS[action].from) {
    for (const role of EVERY_ACTOR) {
      const allowed = role === 'admin' || ROLE_TABLE[action].includes(role);
      test(`${from} --${action}--> as ${role}: ${allowed ? 'allowed' : 'refused'}`, () => {
        const r = checkTransition(action, from, role, 'because', 'photo-ref');
        assert.is(r.ok, allowed);
        if (!r.ok) assert.is(r.reason, 'role');
      });
    }
  }
}

test('the standard\'s split: an operator cannot verify, an inspector cannot dispatch, a crew cannot verify', () => {
  assert.is(!checkTransition('verify', 'handled', 'operator', null, 'x').ok && 'refused', 'refused');
  assert.is(!checkTransition('dispatch', 'registered', 'inspector', null).ok && 'refused', 'refused');
  assert.is(!checkTransition('verify', 'handled', 'crew', null, 'x').ok && 'refused', 'refused');
  const noEvidence = checkTransition('verify', 'handled', 'inspector', null, null);
  assert.is(!noEvidence.ok && noEvidence.reason, 'evidence');
  const reworkNoEvidence = checkTransition('rework', 'handled', 'inspector', 'still broken', '  ');
  assert.is(!reworkNoEvidence.ok && reworkNoEvidence.reason, 'evidence');
});

test('verification: a photo of the case or a reference; admin verifying is an audited override; a failed one is rework for the same crew', async () => {
  const f = await openFixture({ config: { autoDispatch: false } });
  try {
    const store = f.system.store;
    const inspector: ActorRef = { who: 'inspector:i', role: 'inspector', crewId: null };
    const mk = () => store.atomically((tx) => tx.insertCase(sampleCase({ status: 'handled', crewId: 'c1', handleDueAt: 9e12, verifyDueAt: 9e12 }), f.clock.now()));
    const a = await mk();
    try {
      await f.system.workflow.act(a.id, 'verify', inspector, { photoId: '00000000-0000-4000-8000-000000000000' });
      assert.unreachable('an unknown photo is no evidence');
    } catch (err) {
      assert.ok(isTzError(err, 'TZ_REQUEST_INVALID'), String(err));
    }
    await store.atomically((tx) => tx.addPhoto({ id: '11111111-1111-4111-8111-111111111111', caseId: a.id, file: 'x.jpg', mime: 'image/jpeg', size: 1, sha256: 'x', uploadedBy: 'inspector:i', at: f.clock.now() }));
    const failed = await f.system.workflow.act(a.id, 'rework', inspector, { note: 'cover still loose', photoId: '11111111-1111-4111-8111-111111111111' });
    assert.is(failed.status, 'in_progress');
    assert.is(failed.crewId, 'c1', 'back to the same crew');
    assert.is(failed.reworkCount, 1);
    const line = (await store.atomically((tx) => tx.eventsOf(a.id))).at(-1)!;
    assert.equal([line.detail.verification, line.detail.photoId], ['failed', '11111111-1111-4111-8111-111111111111']);
    const b = await mk();
    await f.system.workflow.act(b.id, 'verify', { who: 'admin:root', role: 'admin', crewId: null }, { evidence: 'CCTV 2026-11-03 10:00' });
    const over = (await store.atomically((tx) => tx.eventsOf(b.id))).at(-1)!;
    assert.equal([over.action, over.detail.override, over.detail.evidence], ['verify', true, 'CCTV 2026-11-03 10:00']);
    const c = await mk();
    try {
      await f.system.workflow.act(c.id, 'verify', { ...inspector, area: 'south' }, { evidence: 'x' });
      assert.unreachable('an inspector bound to another area');
    } catch (err) {
      assert.ok(isTzError(err, 'TZ_FORBIDDEN'), String(err));
    }
  } finally {
    await f.close();
  }
});

test('wrong role is refused with TZ_FORBIDDEN; admin may act; system may not reject', () => {
  const refused = checkTransition('verify', 'handled', 'crew', null);
  assert.is(refused.ok, false);
  assert.is(!refused.ok && refused.reason, 'role');
  assert.is(checkTransition('accept', 'dispatched', 'readonly', null).ok, false);
  assert.is(checkTransition('verify', 'handled', 'admin', null, 'ref').ok, true);
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

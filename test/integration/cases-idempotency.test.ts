// Idempotency-Key on the case API: a phone that retries an action, a note or a
// photo upload over a flaky network gets the first result back and the audit
// trail holds each of them once; a key reused for another action is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startCaseApi, type CaseApi } from './helpers.ts';

let base = '';
let cases: CaseApi;
const tok = (person: string): string => cases.token(person);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]);

interface Reply { status: number; replayed: boolean; json: { status?: string; id?: string; code?: string; events?: Array<{ action: string; detail: Record<string, unknown> }> } }

async function call(method: string, path: string, token: string, opts: { body?: unknown; key?: string; form?: FormData } = {}): Promise<Reply> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (opts.key) headers['idempotency-key'] = opts.key;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, body: opts.form ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined) });
  return { status: res.status, replayed: res.headers.get('idempotent-replayed') === 'true', json: await res.json() as Reply['json'] };
}

const photoForm = (): FormData => {
  const form = new FormData();
  form.append('caption', 'before');
  form.append('photo', new Blob([new Uint8Array(PNG)]), 'before.png');
  return form;
};

test.before(async () => {
  cases = await startCaseApi({
    prefix: 'tz-cases-idem-',
    people: { dispatcher: { role: 'dispatcher' }, crew: { role: 'crew', crewId: 'c1' } },
    crews: [{ id: 'c1', name: 'North', department: 'sanitation', districts: ['*'], skills: ['*'] }],
  });
  ({ base } = cases);
});
test.after(async () => cases.stop());

test('accept, arrive, note, photo and handle, each sent twice with its key, happen once', async () => {
  const created = await call('POST', '/api/v1/cases', tok('dispatcher'), { body: { category: 'exposed-rubbish', title: 'rubbish at the gate', district: 'north' } });
  assert.is(created.status, 201);
  const caseId = Number((created.json as { id?: unknown }).id);
  const c = await call('GET', `/api/v1/cases/${caseId}`, tok('crew'));
  assert.is(c.json.status, 'dispatched', 'auto-dispatched to the only crew');

  const steps: Array<[string, () => Promise<Reply>, number]> = [
    ['accept', () => call('POST', `/api/v1/cases/${caseId}/actions/accept`, tok('crew'), { key: 'key-accept-0001', body: {} }), 200],
    ['arrive', () => call('POST', `/api/v1/cases/${caseId}/actions/arrive`, tok('crew'), { key: 'key-arrive-0001', body: { note: 'on site' } }), 200],
    ['update', () => call('POST', `/api/v1/cases/${caseId}/notes`, tok('crew'), { key: 'key-note-00001', body: { note: 'bags collected' } }), 201],
    ['photo', () => call('POST', `/api/v1/cases/${caseId}/photos`, tok('crew'), { key: 'key-photo-0001', form: photoForm() }), 201],
    ['handle', () => call('POST', `/api/v1/cases/${caseId}/actions/handle`, tok('crew'), { key: 'key-handle-001', body: {} }), 200],
  ];
  for (const [name, send, firstStatus] of steps) {
    const first = await send();
    assert.is(first.status, firstStatus, `${name} first: ${JSON.stringify(first.json)}`);
    assert.is(first.replayed, false);
    const again = await send();
    assert.is(again.status, 200, `${name} repeated: ${JSON.stringify(again.json)}`);
    assert.ok(again.replayed, `${name} repeated is marked as a replay`);
    if (name === 'photo') assert.is(again.json.id, first.json.id, 'the repeat answers with the first photo');
  }
  const after = await call('GET', `/api/v1/cases/${caseId}`, tok('crew'));
  assert.is(after.json.status, 'handled');
  const actions = after.json.events!.map((e) => e.action);
  for (const a of ['accept', 'arrive', 'update', 'photo', 'handle']) assert.is(actions.filter((x) => x === a).length, 1, `${a} once in ${actions.join(',')}`);
  assert.is(after.json.events!.find((e) => e.action === 'arrive')!.detail.idempotencyKey, 'key-arrive-0001');
  assert.is((after.json as { photos?: unknown[] }).photos?.length, 1, 'one photo stored');
});

test('a key reused for another action is refused; a malformed key is a 400', async () => {
  const created = await call('POST', '/api/v1/cases', tok('dispatcher'), { body: { category: 'exposed-rubbish', title: 'second', district: 'north' } });
  const caseId = Number((created.json as { id?: unknown }).id);
  assert.is((await call('POST', `/api/v1/cases/${caseId}/actions/accept`, tok('crew'), { key: 'key-shared-001', body: {} })).status, 200);
  const reused = await call('POST', `/api/v1/cases/${caseId}/actions/arrive`, tok('crew'), { key: 'key-shared-001', body: {} });
  assert.is(reused.status, 400);
  assert.match(JSON.stringify(reused.json), 'already used');
  const bad = await call('POST', `/api/v1/cases/${caseId}/actions/arrive`, tok('crew'), { key: 'x y', body: {} });
  assert.is(bad.status, 400);
  const arrived = await call('GET', `/api/v1/cases/${caseId}`, tok('crew'));
  assert.is(arrived.json.events!.filter((e) => e.action === 'arrive').length, 0, 'refused requests left no trace');
});

test.run();

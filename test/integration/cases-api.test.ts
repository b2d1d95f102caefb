// The case HTTP API and Open311 GeoReport v2 against a real Fastify server on
// a free port: roles and tokens, a case from report to close, photos, KPIs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AccessTokens } from '../../service-kit/index.ts';
import { startCaseApi, type CaseApi } from './helpers.ts';

let base = '';
let access: AccessTokens;
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
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function upload(caseId: number, token: string, bytes: Buffer, name: string): Promise<{ status: number; json: any }> {
  const form = new FormData();
  form.append('caption', 'after repair');
  form.append('photo', new Blob([new Uint8Array(bytes)]), name);
  const res = await fetch(`${base}/api/v1/cases/${caseId}/photos`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  return { status: res.status, json: await res.json() };
}

test.before(async () => {
  cases = await startCaseApi({
    prefix: 'tz-cases-api-',
    people: { admin: { role: 'admin' }, operator: { role: 'operator' }, dispatcher: { role: 'dispatcher' }, crew1: { role: 'crew', crewId: 'c1' }, crew2: { role: 'crew', crewId: 'c2' }, readonly: { role: 'readonly' }, inspector: { role: 'inspector' } },
    crews: [
      { id: 'c1', name: 'North', department: 'sanitation', districts: ['north'], skills: ['exposed-rubbish', 'public-toilet'] },
      { id: 'c2', name: 'South', department: 'sanitation', districts: ['south'], skills: ['*'] },
    ],
    system: { maxPhotoBytes: 4096 },
  });
  ({ base, access } = cases);
});

test.after(async () => cases.stop());

test('tokens: 401 without or with a bad token, 403 for the wrong role, ?access_token only on GET', async () => {
  assert.is((await api('GET', '/api/v1/cases', null)).status, 401);
  const bad = await api('GET', '/api/v1/cases', 'tz_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  assert.is(bad.status, 401);
  assert.is(bad.json.code, 'TZ_AUTH_REQUIRED');
  const denied = await api('POST', '/api/v1/cases', tok('readonly'), { category: 'exposed-rubbish', title: 'x' });
  assert.is(denied.status, 403);
  assert.is(denied.json.code, 'TZ_FORBIDDEN');
  assert.is((await api('POST', '/api/v1/crews', tok('crew1'), { id: 'x', name: 'x', department: 'sanitation' })).status, 403);
  assert.is((await fetch(`${base}/api/v1/cases?access_token=${tok('readonly')}`)).status, 200);
  assert.is((await fetch(`${base}/api/v1/outbox/1/retry?access_token=${tok('admin')}`, { method: 'POST' })).status, 401, 'query tokens are for GET only');
  const revokeMe = await access.issue({ name: 'temp', role: 'operator' });
  assert.is((await api('GET', '/api/v1/cases', revokeMe.token)).status, 200);
  assert.ok(await access.revoke(revokeMe.principal.tokenId));
  assert.is((await api('GET', '/api/v1/cases', revokeMe.token)).status, 401, 'a revoked token stops working at once');
  assert.not.ok(JSON.stringify(await access.list()).includes(revokeMe.token.slice(20)), 'secrets are never listed');
});

test('a case from report to close over HTTP; crews see only their own cases; photos checked', async () => {
  const created = await api('POST', '/api/v1/cases', tok('operator'), { category: 'exposed-rubbish', priority: 'high', title: 'Rubbish at gate 3', district: 'north', source: 'inspector' });
  assert.is(created.status, 201);
  assert.is(created.json.status, 'dispatched', 'auto-dispatched by area and category');
  assert.is(created.json.crewId, 'c1');
  assert.ok(created.json.deadlines.handle);
  const id = created.json.id as number;
  const other = await api('POST', '/api/v1/cases', tok('operator'), { category: 'public-toilet', title: 'Toilet door', district: 'south' });
  assert.is(other.json.crewId, 'c2');

  assert.is((await api('GET', `/api/v1/cases/${id}`, tok('crew2'))).status, 404, 'crew 2 cannot read crew 1\'s case');
  assert.is((await api('POST', `/api/v1/cases/${id}/actions/accept`, tok('crew2'), {})).status, 404);
  const mine = await api('GET', '/api/v1/cases?crewId=c2', tok('crew1'));
  assert.equal(mine.json.cases.map((c: { id: number }) => c.id), [id], 'a crew lists its own cases whatever it asks for');

  assert.is((await api('POST', `/api/v1/cases/${id}/actions/handle`, tok('crew1'), {})).status, 409, 'no skipping: handle before accept');
  assert.is((await api('POST', `/api/v1/cases/${id}/actions/verify`, tok('crew1'), {})).status, 409);
  assert.is((await api('POST', `/api/v1/cases/${id}/actions/accept`, tok('crew1'), {})).json.status, 'in_progress');
  assert.is((await api('POST', `/api/v1/cases/${id}/notes`, tok('crew1'), { note: 'on site, clearing' })).status, 201);

  const photo = await upload(id, tok('crew1'), PNG, 'after.png');
  assert.is(photo.status, 201);
  assert.is(photo.json.mime, 'image/png');
  const fake = await upload(id, tok('crew1'), Buffer.from('<html>not an image</html>'), 'evil.png');
  assert.is(fake.status, 415);
  assert.is(fake.json.code, 'TZ_PHOTO_INVALID');
  const big = await upload(id, tok('crew1'), Buffer.concat([PNG, Buffer.alloc(5000)]), 'big.png');
  assert.is(big.status, 413);
  const got = await fetch(base + photo.json.url, { headers: { authorization: `Bearer ${tok('crew1')}` } });
  assert.is(got.headers.get('content-type'), 'image/png');
  assert.ok(Buffer.from(await got.arrayBuffer()).equals(PNG));
  assert.is((await fetch(base + photo.json.url, { headers: { authorization: `Bearer ${tok('crew2')}` } })).status, 404);

  assert.is((await api('POST', `/api/v1/cases/${id}/actions/handle`, tok('crew1'), {})).json.status, 'handled');
  assert.is((await api('POST', `/api/v1/cases/${id}/actions/verify`, tok('dispatcher'), {})).status, 403, 'dispatchers do not verify');
  assert.is((await api('POST', `/api/v1/cases/${id}/actions/verify`, tok('operator'), { evidence: 'x' })).status, 403, 'operators do not verify (the supervision centre does)');
  const rework = await api('POST', `/api/v1/cases/${id}/actions/rework`, tok('inspector'), { evidence: 'patrol photo 1' });
  assert.is(rework.status, 400, 'rework needs a reason');
  assert.is((await api('POST', `/api/v1/cases/${id}/actions/rework`, tok('inspector'), { note: 'bags left behind' })).status, 400, 'a failed verification needs evidence');
  assert.is((await api('POST', `/api/v1/cases/${id}/actions/rework`, tok('inspector'), { note: 'bags left behind', photoId: photo.json.id })).json.reworkCount, 1);
  await api('POST', `/api/v1/cases/${id}/actions/handle`, tok('crew1'), {});
  assert.is((await api('POST', `/api/v1/cases/${id}/actions/verify`, tok('inspector'), { evidence: 'patrol 2: gate 3 clean' })).json.status, 'verified');
  assert.is((await api('POST', `/api/v1/cases/${id}/actions/close`, tok('operator'), {})).json.status, 'closed');

  const detail = await api('GET', `/api/v1/cases/${id}`, tok('readonly'));
  assert.equal(detail.json.events.map((e: { action: string }) => e.action),
    ['report', 'register', 'dispatch', 'accept', 'update', 'photo', 'handle', 'rework', 'handle', 'verify', 'close']);
  const rw = detail.json.events.find((e: { action: string }) => e.action === 'rework');
  assert.is(rw.note, 'bags left behind');
  assert.ok(rw.who.startsWith('inspector:inspector#'));
  assert.is(detail.json.photos.length, 1);

  const kpis = await api('GET', '/api/v1/kpis?district=north', tok('readonly'));
  assert.is(kpis.status, 200);
  assert.is(kpis.json.counts.closed, 1);
  assert.is(kpis.json.closureRate, 1);
  assert.is(kpis.json.sensorShare, 0);
  assert.is((await api('GET', '/api/v1/kpis', tok('crew1'))).status, 403);
  assert.is((await api('GET', '/api/v1/kpis?from=yesterday', tok('readonly'))).status, 400);

  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /tz_cases_photos_rejected_total\{reason="type",component="cases"\} 1/);
  assert.match(metrics, /tz_cases_photos_rejected_total\{reason="too-large",component="cases"\} 1/);
  assert.match(metrics, /tz_cases_transitions_total\{action="close",component="cases"\} 1/);
});

test('Open311 GeoReport v2: services, create with api_key, get, list, token', async () => {
  const services = await api('GET', '/open311/v2/services.json', null);
  assert.is(services.status, 200);
  const cover = services.json.find((s: { service_code: string }) => s.service_code === 'manhole-cover');
  assert.equal(Object.keys(cover).sort(), ['description', 'group', 'keywords', 'metadata', 'service_code', 'service_name', 'type']);
  assert.is(cover.metadata, false);
  assert.is(cover.type, 'realtime');
  assert.is(cover.group, 'public-facilities');
  assert.not.ok(services.json.some((s: { service_code: string }) => s.service_code === 'iot-terminal'), 'internal categories are not offered');
  const def = await api('GET', '/open311/v2/services/manhole-cover.json', null);
  assert.equal(def.json, { service_code: 'manhole-cover', attributes: [] });
  const missing = await api('GET', '/open311/v2/services/nope.json', null);
  assert.is(missing.status, 404);
  assert.equal(Object.keys(missing.json[0]).sort(), ['code', 'description']);
  assert.is(missing.json[0].code, 404);

  const form = (fields: Record<string, string>) => fetch(`${base}/open311/v2/requests.json`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  const noKey = await form({ service_code: 'manhole-cover', lat: '31.2', long: '121.5' });
  assert.is(noKey.status, 403, 'no api_key: refused before the body is looked at');
  const badKey = await form({ api_key: tok('readonly'), service_code: 'manhole-cover', lat: '31.2', long: '121.5' });
  assert.is(badKey.status, 403);
  assert.is((await badKey.json())[0].code, 403);
  assert.is((await form({ api_key: tok('operator'), service_code: 'manhole-cover' })).status, 400, 'a location is required');
  const ok = await form({ api_key: tok('operator'), service_code: 'manhole-cover', lat: '31.2304', long: '121.4737', address_string: '1 Renmin Rd', email: 'li@example.cn', first_name: 'Li', description: 'Cover missing', account_id: 'acc-9' });
  assert.is(ok.status, 201);
  const [receipt] = await ok.json();
  assert.equal(Object.keys(receipt).sort(), ['account_id', 'service_notice', 'service_request_id', 'token']);
  assert.type(receipt.service_request_id, 'string');
  assert.is(receipt.account_id, 'acc-9');

  const one = await api('GET', `/open311/v2/requests/${receipt.service_request_id}.json`, null);
  assert.is(one.status, 200);
  const r = one.json[0];
  assert.equal(Object.keys(r).sort(), ['address', 'address_id', 'agency_responsible', 'description', 'expected_datetime', 'lat', 'long', 'media_url', 'requested_datetime',
    'service_code', 'service_name', 'service_notice', 'service_request_id', 'status', 'status_notes', 'updated_datetime', 'zipcode'].sort());
  assert.is(r.status, 'open');
  assert.match(r.status_notes, /^reported/);
  assert.is(r.service_code, 'manhole-cover');
  assert.is(r.lat, 31.2304);
  assert.is(r.long, 121.4737);
  assert.is(r.address, '1 Renmin Rd');
  assert.is(r.description, 'Cover missing');
  assert.match(r.requested_datetime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  assert.match(r.agency_responsible, /Municipal facilities/);
  assert.not.ok(JSON.stringify(one.json).includes('li@example.cn'), 'reporter contact is never published');

  const byToken = await api('GET', `/open311/v2/tokens/${receipt.token}.json`, null);
  assert.equal(byToken.json, [{ service_request_id: receipt.service_request_id, token: receipt.token }]);
  const list = await api('GET', '/open311/v2/requests.json?status=open&service_code=manhole-cover', null);
  assert.ok(list.json.some((x: { service_request_id: string }) => x.service_request_id === receipt.service_request_id));
  const closedOnly = await api('GET', '/open311/v2/requests.json?status=closed', null);
  assert.not.ok(closedOnly.json.some((x: { service_request_id: string }) => x.service_request_id === receipt.service_request_id));
  const ids = await api('GET', `/open311/v2/requests.json?service_request_id=${receipt.service_request_id}`, null);
  assert.is(ids.json.length, 1);

  // The operator registers it: the extended state shows in status_notes, status stays open.
  await api('POST', `/api/v1/cases/${receipt.service_request_id}/actions/register`, tok('operator'), {});
  const after = await api('GET', `/open311/v2/requests/${receipt.service_request_id}.json`, null);
  assert.match(after.json[0].status_notes, /^dispatched|^registered/);
  assert.is(after.json[0].status, 'open');
  assert.is((await api('GET', '/open311/v2/requests/999999.json', null)).status, 404);
  assert.is((await api('GET', '/open311/v2/services.xml', null)).status, 400, 'JSON only');
});

test.run();

// The Node-RED nodes in a real Node-RED 4 runtime (node-red-node-test-helper):
// tianzhong-telemetry decodes a real UplinkBatch encoded by the platform's own
// codec (proto/index.ts), names index-only metrics from the profile, refuses
// garbage; tianzhong-case calls a real HTTP server with the Bearer token from
// its config node's credentials.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Fastify, { type FastifyInstance } from 'fastify';
import { encodeUplinkBatch, topics } from '../../proto/index.ts';
import { loadProfiles, metricIndexOf } from '../../device-profiles/index.ts';
import { openAccessTokens } from '../../service-kit/index.ts';
import { openCaseSystem } from '../../cases/index.ts';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// This package is CommonJS (Node-RED loads nodes with require), so this test is too.
interface NodeRedMsg { [key: string]: unknown; payload?: unknown }
interface TestNode { on(event: string, fn: (msg: NodeRedMsg) => void): void; receive(msg: NodeRedMsg): void }
interface Helper {
  init(path: string): void;
  startServer(done: (err?: unknown) => void): void;
  stopServer(done: (err?: unknown) => void): void;
  load(nodes: unknown[], flow: object[], credentials: object, done: () => void): void;
  unload(): Promise<void>;
  getNode(id: string): TestNode;
}
const helper = require('node-red-node-test-helper') as Helper;
const telemetryNode = require('../nodes/tianzhong-telemetry.js');
const caseNode = require('../nodes/tianzhong-case.js');
const apiNode = require('../nodes/tianzhong-api.js');
const catchNode = require('@node-red/nodes/core/common/25-catch.js');
helper.init(require.resolve('node-red'));

const manhole = loadProfiles().get('manhole-cover')!;
const TOKEN = 'tz_0123456789abcdef_secretsecretsecretsecretsecretsecretsecret123';

function load(flow: object[], credentials: object = {}): Promise<void> {
  // Flow nodes live on a tab (z); config nodes (tianzhong-api) do not.
  const onTab = flow.map((n) => ((n as { type: string }).type === 'tianzhong-api' ? n : { z: 'tab', ...n }));
  return new Promise((resolve) => helper.load([telemetryNode, caseNode, apiNode, catchNode], [{ id: 'tab', type: 'tab', label: 'test' }, ...onTab], credentials, resolve));
}

/** Collects what a helper node receives until `count` messages arrived (bounded by a timeout). */
function collect(id: string, count: number, timeoutMs = 5000): Promise<NodeRedMsg[]> {
  const got: NodeRedMsg[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${id}: got ${got.length} of ${count} messages`)), timeoutMs);
    helper.getNode(id).on('input', (msg) => {
      got.push(msg);
      if (got.length === count) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

const telemetryFlow = [
  { id: 'tel', type: 'tianzhong-telemetry', name: 'decode', wires: [['readings'], ['statuses']] },
  { id: 'readings', type: 'helper' },
  { id: 'statuses', type: 'helper' },
  { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['errors']] },
  { id: 'errors', type: 'helper' },
];

test.before(() => new Promise<void>((resolve, reject) => helper.startServer((err) => (err ? reject(err) : resolve()))));
test.after(() => new Promise<void>((resolve, reject) => helper.stopServer((err) => (err ? reject(err) : resolve()))));
test.after.each(async () => {
  await helper.unload();
});

test('telemetry: one message per reading from a real protobuf batch; index-only metrics named from the profile', async () => {
  await load(telemetryFlow);
  const readings = collect('readings', 2);
  const statuses = collect('statuses', 1);
  const batch = encodeUplinkBatch({
    gatewayId: 'gw-0007', batchSeq: 41, sentAtMs: 1_700_000_100_000,
    readings: [
      { deviceId: 'mh-0001', profile: 'manhole-cover', profileVersion: manhole.version, timestampMs: 1_700_000_000_000, seq: 9_007_199_254_740_000, district: 'gulou',
        metrics: [{ name: 'cover_open', flag: true }, { name: 'tilt_deg', number: 12.5 }] },
      { deviceId: 'mh-0002', profile: 'manhole-cover', profileVersion: manhole.version, timestampMs: 1_700_000_060_000, seq: 3, district: 'xuanwu',
        metrics: [{ index: metricIndexOf(manhole, 'water_level_cm'), number: 151.25 }, { index: metricIndexOf(manhole, 'cover_open'), flag: false }, { index: 250, number: 1 }] },
    ],
    statuses: [{ deviceId: 'mh-0003', profile: 'manhole-cover', timestampMs: 1_700_000_050_000, state: 3, error: 1, detail: 'no answer', batteryPct: 14.5 }],
  });
  helper.getNode('tel').receive({ topic: topics.batch('gw-0007'), payload: Buffer.from(batch) });
  const [first, second] = await readings;
  assert.is(first!.topic, 'mh-0001');
  assert.is(first!.mqttTopic, 'tz/v1/gw/gw-0007/up/batch');
  assert.equal(first!.payload, {
    gatewayId: 'gw-0007', batchSeq: 41, deviceId: 'mh-0001', profile: 'manhole-cover', profileVersion: manhole.version, measurement: 'manhole_cover',
    district: 'gulou', timestamp: 1_700_000_000_000, seq: 9_007_199_254_740_000, values: { cover_open: true, tilt_deg: 12.5 }, unresolved: [],
  });
  const p2 = second!.payload as { values: Record<string, unknown>; unresolved: unknown[] };
  assert.equal(p2.values, { water_level_cm: 151.25, cover_open: false });
  assert.equal(p2.unresolved, [{ index: 250, value: 1 }]);
  assert.ok(first!._msgid !== second!._msgid, 'each reading is its own message');
  const [status] = await statuses;
  assert.equal((status!.payload as Record<string, unknown>).state, 'fault');
  assert.equal((status!.payload as Record<string, unknown>).error, 'timeout');
  assert.is((status!.payload as Record<string, unknown>).batteryPct, 14.5);
});

test('telemetry: garbage, strings and a gateway id that does not match the topic are refused to a catch node', async () => {
  await load(telemetryFlow);
  const errors = collect('errors', 3);
  const tel = helper.getNode('tel');
  tel.receive({ topic: topics.batch('gw-1'), payload: Buffer.from([0x0a, 0xff, 0x01]) });
  tel.receive({ topic: topics.batch('gw-1'), payload: 'hello' });
  tel.receive({ topic: topics.batch('gw-1'), payload: Buffer.from(encodeUplinkBatch({ gatewayId: 'gw-2', batchSeq: 1, sentAtMs: 1, readings: [] })) });
  const messages = (await errors).map((m) => String((m.error as { message: string }).message));
  assert.match(messages[0]!, 'not a valid UplinkBatch');
  assert.match(messages[1]!, 'a Buffer');
  assert.match(messages[2]!, 'does not match topic');
});

interface Recorded { method: string; url: string; authorization?: string; body: unknown }
async function recordingApi(): Promise<{ app: FastifyInstance; url: string; requests: Recorded[] }> {
  const requests: Recorded[] = [];
  const app = Fastify();
  let nextId = 100;
  app.post('/api/v1/cases', async (req, reply) => {
    requests.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body: req.body });
    return reply.code(201).send({ id: nextId++, status: 'reported', ...(req.body as object) });
  });
  app.post('/api/v1/cases/:id/actions/:action', async (req, reply) => {
    requests.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body: req.body });
    const { id, action } = req.params as { id: string; action: string };
    if (action === 'verify') return reply.code(409).send({ code: 'TZ_CASE_TRANSITION', message: 'cannot verify a case that is registered' });
    return { id: Number(id), status: action === 'register' ? 'registered' : 'dispatched' };
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url, requests };
}

test('case: opens a case then acts on it, with the Bearer token from the credentials; refusals reach a catch node', async () => {
  const api = await recordingApi();
  try {
    await load([
      { id: 'cfg', type: 'tianzhong-api', url: api.url, timeout: 5 },
      { id: 'opener', type: 'tianzhong-case', api: 'cfg', action: 'open', wires: [['opened']] },
      { id: 'opened', type: 'helper' },
      { id: 'act', type: 'tianzhong-case', api: 'cfg', action: '', wires: [['acted']] },
      { id: 'acted', type: 'helper' },
      { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['errors']] },
      { id: 'errors', type: 'helper' },
    ], { cfg: { token: TOKEN } });
    const opened = collect('opened', 1);
    helper.getNode('opener').receive({ payload: { title: 'Cover open at Zhongshan Rd', category: 'manhole-cover', priority: 'urgent', assetId: 'mh-0001', district: 'gulou', source: 'operator' } });
    const [openMsg] = await opened;
    assert.is(openMsg!.caseId, 100);
    assert.is(openMsg!.statusCode, 201);

    const acted = collect('acted', 1);
    helper.getNode('act').receive({ caseId: 100, action: 'register', payload: { note: 'seen on camera' } });
    const [actMsg] = await acted;
    assert.equal(actMsg!.payload, { id: 100, status: 'registered' });

    const errors = collect('errors', 3);
    helper.getNode('act').receive({ caseId: 100, action: 'verify', payload: {} });
    helper.getNode('act').receive({ caseId: 100, action: 'explode', payload: {} });
    helper.getNode('act').receive({ action: 'dispatch', payload: {} });
    const errs = (await errors).map((m) => String((m.error as { message: string }).message));
    assert.ok(errs.some((e) => e.includes('answered 409') && e.includes('TZ_CASE_TRANSITION')), errs.join(' | '));
    assert.ok(errs.some((e) => e.includes('unknown case action "explode"')), errs.join(' | '));
    assert.ok(errs.some((e) => e.includes('needs msg.caseId')), errs.join(' | '));

    assert.equal(api.requests.map((r) => `${r.method} ${r.url}`), ['POST /api/v1/cases', 'POST /api/v1/cases/100/actions/register', 'POST /api/v1/cases/100/actions/verify']);
    assert.ok(api.requests.every((r) => r.authorization === `Bearer ${TOKEN}`), 'every call carries the token');
    assert.equal(api.requests[0]!.body, { title: 'Cover open at Zhongshan Rd', category: 'manhole-cover', priority: 'urgent', assetId: 'mh-0001', district: 'gulou', source: 'operator' });
    assert.equal(api.requests[1]!.body, { note: 'seen on camera' });
  } finally {
    await api.app.close();
  }
});

test('case: without a token the node refuses before calling the API', async () => {
  const api = await recordingApi();
  try {
    await load([
      { id: 'cfg', type: 'tianzhong-api', url: api.url },
      { id: 'opener', type: 'tianzhong-case', api: 'cfg', action: 'open', wires: [[]] },
      { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['errors']] },
      { id: 'errors', type: 'helper' },
    ]);
    const errors = collect('errors', 1);
    helper.getNode('opener').receive({ payload: { title: 't' } });
    assert.match(String(((await errors)[0]!.error as { message: string }).message), 'no API token');
    assert.is(api.requests.length, 0);
  } finally {
    await api.app.close();
  }
});

test('case: against the real case API (cases/): open (auto-dispatched), a crew-only action refused, then cancel with a note', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tz-nodered-cases-'));
  const access = openAccessTokens(new Database(':memory:'));
  const operator = access.issue({ name: 'node-red', role: 'operator' }).token;
  const cases = await openCaseSystem({ dbPath: ':memory:', access, photoDir: join(dir, 'photos'), slaCheckMs: 0 });
  const app = Fastify();
  await cases.registerRoutes(app);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const dispatcher = access.issue({ name: 'desk', role: 'dispatcher' }).token;
  const crew = await fetch(`${url}/api/v1/crews`, { method: 'POST', headers: { authorization: `Bearer ${dispatcher}`, 'content-type': 'application/json' }, body: JSON.stringify({ id: 'crew-a', name: 'Crew A', department: 'municipal-facilities' }) });
  assert.ok(crew.ok, `crew: ${crew.status}`);
  try {
    await load([
      { id: 'cfg', type: 'tianzhong-api', url, timeout: 5 },
      { id: 'opener', type: 'tianzhong-case', api: 'cfg', action: 'open', wires: [['opened']] },
      { id: 'opened', type: 'helper' },
      { id: 'acceptor', type: 'tianzhong-case', api: 'cfg', action: 'accept', wires: [[]] },
      { id: 'canceller', type: 'tianzhong-case', api: 'cfg', action: 'cancel', wires: [['cancelled']] },
      { id: 'cancelled', type: 'helper' },
      { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['errors']] },
      { id: 'errors', type: 'helper' },
    ], { cfg: { token: operator } });
    const opened = collect('opened', 1);
    helper.getNode('opener').receive({ payload: { title: 'Cover missing at Wuyi Rd', category: 'manhole-cover', priority: 'urgent', assetId: 'mc-0042', district: 'gulou', source: 'hotline' } });
    const [openMsg] = await opened;
    const created = openMsg!.payload as { id: number; status: string; assetId: string; crewId: string };
    assert.equal([created.status, created.assetId, created.crewId, openMsg!.statusCode], ['dispatched', 'mc-0042', 'crew-a', 201]);
    assert.is(openMsg!.caseId, created.id);

    const errors = collect('errors', 1);
    helper.getNode('acceptor').receive({ ...openMsg });
    const [err] = await errors;
    assert.is(err!.statusCode, 403);
    assert.match(String((err!.error as { message: string }).message), 'TZ_FORBIDDEN');

    // The answer of one case node wired into the next: only the note travels as the body.
    const cancelled = collect('cancelled', 1);
    helper.getNode('canceller').receive({ ...openMsg, note: 'duplicate of a sensor case' });
    const [cancelMsg] = await cancelled;
    assert.is((cancelMsg!.payload as { status: string }).status, 'cancelled');
    const detail = await (await fetch(`${url}/api/v1/cases/${created.id}`, { headers: { authorization: `Bearer ${operator}` } })).json() as { events: Array<{ action: string; note: string | null; who: string }> };
    const cancel = detail.events.find((e) => e.action === 'cancel')!;
    assert.is(cancel.note, 'duplicate of a sensor case');
    assert.match(cancel.who, 'node-red');
  } finally {
    await app.close();
    await cases.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadProfiles } from '../../device-profiles/index.ts';
import { createLogger, isTzError } from '../../service-kit/index.ts';
import { downsampledMetrics, DEFAULT_RETENTION } from '../influx-setup.ts';
import { durationSeconds, setUpInfluxV2 } from '../influx-v2-setup.ts';

// The v2 management API as InfluxDB 2.x answers it (orgs, buckets, tasks),
// kept in memory by a real HTTP server: no 2.x server is packaged for
// Debian, so this checks what ingest asks for and that it is idempotent; the
// Flux itself is only checked for its parts here.

interface FakeV2 {
  url: string;
  buckets: Array<{ id: string; name: string; orgID: string; retentionRules: Array<{ everySeconds: number }> }>;
  tasks: Array<{ id: string; name: string; orgID: string; flux: string; status: string }>;
  requests: string[];
  /** Answer every /api/v2/orgs with this status instead (404: a 3.x server). */
  orgsStatus?: number;
  close(): Promise<void>;
}

async function fakeV2(): Promise<FakeV2> {
  let next = 1;
  const state: Omit<FakeV2, 'url' | 'close'> = { buckets: [], tasks: [], requests: [] };
  const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const url = new URL(req.url ?? '/', 'http://x');
    state.requests.push(`${req.method} ${url.pathname}`);
    if (req.headers.authorization !== 'Token secret-token') return json(res, 401, { code: 'unauthorized', message: 'unauthorized access' });
    const input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    if (url.pathname === '/api/v2/orgs') {
      if (state.orgsStatus) return json(res, state.orgsStatus, { code: 'not found', message: 'not found' });
      return json(res, 200, { orgs: url.searchParams.get('org') === 'city' ? [{ id: 'org1', name: 'city' }] : [] });
    }
    if (url.pathname === '/api/v2/buckets' && req.method === 'GET') {
      return json(res, 200, { buckets: state.buckets.filter((b) => b.orgID === url.searchParams.get('orgID') && b.name === url.searchParams.get('name')) });
    }
    if (url.pathname === '/api/v2/buckets' && req.method === 'POST') {
      const bucket = { id: `b${next++}`, name: String(input.name), orgID: String(input.orgID), retentionRules: input.retentionRules as Array<{ everySeconds: number }> };
      state.buckets.push(bucket);
      return json(res, 201, bucket);
    }
    const bucketId = /^\/api\/v2\/buckets\/(\w+)$/.exec(url.pathname)?.[1];
    if (bucketId && req.method === 'PATCH') {
      const bucket = state.buckets.find((b) => b.id === bucketId)!;
      bucket.retentionRules = input.retentionRules as Array<{ everySeconds: number }>;
      return json(res, 200, bucket);
    }
    if (url.pathname === '/api/v2/tasks' && req.method === 'GET') return json(res, 200, { tasks: state.tasks.filter((t) => t.orgID === url.searchParams.get('orgID')) });
    if (url.pathname === '/api/v2/tasks' && req.method === 'POST') {
      const flux = String(input.flux);
      const name = /option task = \{name: "([^"]+)"/.exec(flux)?.[1];
      if (!name) return json(res, 400, { code: 'invalid', message: 'task must have a name option' });
      const task = { id: `t${next++}`, name, orgID: String(input.orgID), flux, status: String(input.status) };
      state.tasks.push(task);
      return json(res, 201, task);
    }
    const taskId = /^\/api\/v2\/tasks\/(\w+)$/.exec(url.pathname)?.[1];
    if (taskId && req.method === 'DELETE') {
      state.tasks = state.tasks.filter((t) => t.id !== taskId);
      return res.writeHead(204).end();
    }
    return json(res, 404, { code: 'not found', message: `no route ${req.method} ${url.pathname}` });
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const fake = state as FakeV2;
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise((r) => server.close(() => r()));
  return fake;
}

const log = createLogger('test', 'silent');
const profiles = loadProfiles();
const classesWithNumbers = profiles.all().filter((p) => downsampledMetrics(p).length > 0);

test('durations: InfluxQL units to seconds, inf is forever, anything else refused', () => {
  assert.is(durationSeconds('90d'), 90 * 86_400);
  assert.is(durationSeconds('1w2d'), 9 * 86_400);
  assert.is(durationSeconds('6h'), 21_600);
  assert.is(durationSeconds('INF'), 0);
  for (const bad of ['', '90', '90 days', '1y', 'd90']) {
    assert.throws(() => durationSeconds(bad), (err: unknown) => isTzError(err) && err.code === 'TZ_CONFIG_INVALID', bad);
  }
});

test('2.x: raw and hourly buckets with their retention, one hourly mean/min/max task per class; a second start changes nothing', async () => {
  const v2 = await fakeV2();
  try {
    const target = { url: v2.url, database: 'tz', token: 'secret-token', org: 'city', bucket: 'city-raw' };
    const first = await setUpInfluxV2(target, profiles, DEFAULT_RETENTION, downsampledMetrics, log);
    assert.ok(first.managed);
    assert.equal(v2.buckets.map((b) => [b.name, b.retentionRules[0]!.everySeconds]), [['city-raw', 90 * 86_400], ['city-raw_hourly', 730 * 86_400]]);
    assert.is(v2.tasks.length, classesWithNumbers.length);
    for (const profile of classesWithNumbers) {
      const task = v2.tasks.find((t) => t.name.startsWith(`tz_1h_${profile.measurement}_`));
      assert.ok(task, `task for ${profile.measurement}`);
      assert.is(task.status, 'active');
      assert.match(task.flux, 'from(bucket: "city-raw")');
      assert.match(task.flux, `r._measurement == "${profile.measurement}"`);
      assert.match(task.flux, `range(start: -${DEFAULT_RETENTION.resampleFor})`);
      for (const fn of ['mean', 'min', 'max']) assert.match(task.flux, `fn: ${fn}, timeSrc: "_start"`);
      assert.is(task.flux.split('to(bucket: "city-raw_hourly", org: "city")').length - 1, 3);
      // Booleans are not averaged.
      for (const metric of profile.metrics.filter((m) => m.type === 'boolean')) assert.not.match(task.flux, `"${metric.name}"`);
    }
    const writes = v2.requests.filter((r) => !r.startsWith('GET')).length;
    const again = await setUpInfluxV2(target, profiles, DEFAULT_RETENTION, downsampledMetrics, log);
    assert.equal(again.tasks, first.tasks);
    assert.is(v2.requests.filter((r) => !r.startsWith('GET')).length, writes, 'a second start only reads');
    assert.is(v2.tasks.length, classesWithNumbers.length);
  } finally {
    await v2.close();
  }
});

test('2.x: a changed retention is patched, a changed task replaces the old one (no duplicates)', async () => {
  const v2 = await fakeV2();
  try {
    const target = { url: v2.url, database: 'tz', token: 'secret-token', org: 'city' };
    const first = await setUpInfluxV2(target, profiles, DEFAULT_RETENTION, downsampledMetrics, log);
    const changed = await setUpInfluxV2(target, profiles, { ...DEFAULT_RETENTION, rawDuration: '30d', resampleFor: '12h' }, downsampledMetrics, log);
    assert.is(v2.buckets.find((b) => b.name === 'tz')!.retentionRules[0]!.everySeconds, 30 * 86_400);
    assert.ok(v2.requests.includes(`PATCH /api/v2/buckets/${v2.buckets.find((b) => b.name === 'tz')!.id}`));
    assert.is(v2.tasks.length, classesWithNumbers.length);
    assert.equal(v2.tasks.map((t) => t.name).sort(), [...changed.tasks].sort());
    for (const name of first.tasks) assert.not.ok(v2.tasks.some((t) => t.name === name), `old task ${name} deleted`);
    for (const task of v2.tasks) assert.match(task.flux, 'range(start: -12h)');
  } finally {
    await v2.close();
  }
});

test('3.x (no management API): nothing set up, the operator is told; a refused token and an unknown org are errors that say what to do', async () => {
  const v2 = await fakeV2();
  try {
    v2.orgsStatus = 404;
    const result = await setUpInfluxV2({ url: v2.url, database: 'tz', token: 'secret-token', org: 'city' }, profiles, DEFAULT_RETENTION, downsampledMetrics, log);
    assert.not.ok(result.managed);
    assert.match(result.notes.join(' '), 'InfluxDB 3.x');
    assert.is(v2.buckets.length + v2.tasks.length, 0);
    v2.orgsStatus = undefined;
    await setUpInfluxV2({ url: v2.url, database: 'tz', token: 'wrong', org: 'city' }, profiles, DEFAULT_RETENTION, downsampledMetrics, log).then(
      () => assert.unreachable('a refused token must fail'),
      (err: unknown) => assert.ok(isTzError(err) && /token/.test(err.message), String(err)),
    );
    await setUpInfluxV2({ url: v2.url, database: 'tz', token: 'secret-token', org: 'elsewhere' }, profiles, DEFAULT_RETENTION, downsampledMetrics, log).then(
      () => assert.unreachable('an unknown org must fail'),
      (err: unknown) => assert.ok(isTzError(err) && err.code === 'TZ_CONFIG_INVALID' && /INFLUX_ORG/.test(err.message), String(err)),
    );
  } finally {
    await v2.close();
  }
});

test.run();

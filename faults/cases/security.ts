import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { encodeUplinkBatch, topics } from '../../proto/index.ts';
import { REPO_ROOT } from '../../testing/index.ts';
import { toError } from '../../service-kit/index.ts';
import { resultOf, sleep, untilFreshReadingStored, type FaultCase, type FaultResult } from '../harness/fault-case.ts';
import { Pipeline, cliHasOption } from '../harness/pipeline.ts';
import { storedReadings } from '../harness/ledger.ts';

// Security checks on the running pipeline: no unauthenticated MQTT or HTTP
// access; a gateway cannot read or write another gateway's topics; the rule
// and case APIs refuse tokens of the wrong role; SQL and path injection on
// every string parameter of every HTTP route is refused. Routes are not a
// hand-written list: they come from the Fastify apps themselves (route-recorder).

interface Route { method: string; url: string; query: string[]; base: string; component: string }

const OPEN_BY_DESIGN = new Set(['/metrics', '/healthz']);
const INJECTIONS = [
  "' OR '1'='1", "1; DROP TABLE cases; --", "\" OR \"\"=\"", "1 UNION SELECT name FROM sqlite_master --",
  '../../../../etc/passwd', '..%2F..%2F..%2Fetc%2Fpasswd', '/etc/passwd\u0000.json', "x' ; DROP MEASUREMENT manhole_cover; --",
  '"; SELECT * FROM /.*/; --',
];
/** Query parameters the HTTP APIs commonly take, tried where a route declares no schema. */
const COMMON_QUERY = ['state', 'status', 'deviceId', 'gatewayId', 'profile', 'district', 'q', 'from', 'to', 'limit', 'since', 'crewId', 'category'];
/** Signs an attempt got through: file contents or a database error text (not the payload echoed back in a 400). */
const LEAK = /root:x:0:0|SQLITE_[A-Z]+|CREATE TABLE|: syntax error|error parsing query/;

function loadRoutes(p: Pipeline): Route[] {
  const routes: Route[] = [];
  const seen = new Set<string>();
  for (const [component, base] of [['broker', p.url('broker')], ['ingest', p.url('ingest')], ['rules', p.url('rules')]] as const) {
    const file = p.routesFile(component);
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
      const r = JSON.parse(line) as { method: string; url: string; query: string[] };
      const key = `${component} ${r.method} ${r.url}`;
      if (seen.has(key) || r.url.includes('*')) continue;
      seen.add(key);
      routes.push({ ...r, base, component });
    }
  }
  return routes;
}

/** Open311 GeoReport v2 lets anyone read services and requests (citizens, the 12345 hotline); writing needs a key. */
const publicByDesign = (r: Route) => OPEN_BY_DESIGN.has(r.url) || (r.method === 'GET' && r.url.startsWith('/open311/'));
const isApi = (r: Route) => r.url.startsWith('/api/') || r.url.startsWith('/open311/') || (r.method !== 'GET' && !OPEN_BY_DESIGN.has(r.url));
const fill = (url: string, value: string) => url.replace(/:([A-Za-z0-9_]+)/g, () => encodeURIComponent(value));

async function call(r: Route, path: string, token?: string): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const init: RequestInit = { method: r.method, headers, signal: AbortSignal.timeout(5_000) };
  if (r.method !== 'GET' && r.method !== 'DELETE') {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify({});
  }
  const res = await fetch(`${r.base}${path}`, init);
  return { status: res.status, body: await res.text() };
}

function issueToken(db: string, role: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(REPO_ROOT, 'bin/tianzhong.js'), 'tokens', 'add', '--name', `fault-${role}`, '--role', role, '--db', db, ...(role === 'crew' ? ['--crew', 'crew-1'] : []), '--json'], { cwd: REPO_ROOT }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`tokens add --role ${role}: ${stderr || err.message}`));
      const [last = ''] = stdout.trim().split('\n').slice(-1);
      resolve((JSON.parse(last) as { token: string }).token);
    });
  });
}

/** An MQTT operation that may never be answered (a refused publish gets no PUBACK from some brokers). */
function bounded<T>(what: Promise<T>, ms = 3_000): Promise<T | 'timeout'> {
  return Promise.race([what, sleep(ms).then(() => 'timeout' as const)]);
}

/** Rows in a JSON answer: the length of its longest array (0 when not JSON). */
function rowCount(body: string): number {
  try {
    const value = JSON.parse(body) as unknown;
    if (Array.isArray(value)) return value.length;
    if (value && typeof value === 'object') return Math.max(0, ...Object.values(value).map((v) => (Array.isArray(v) ? v.length : 0)));
  } catch {
    // not JSON: no rows
  }
  return 0;
}

const check = (fault: string, attempts: number, accepted: number, problems: string[], notes: string[] = []): FaultResult =>
  ({ ...resultOf(fault, null, null, problems, notes), sent: attempts, stored: accepted, duplicates: 0, lost: 0 });

async function mqttChecks(p: Pipeline): Promise<FaultResult[]> {
  const url = `mqtt://127.0.0.1:${p.ports.mqtt}`;
  const refused = async (opts: mqtt.IClientOptions) => {
    try {
      const c = await mqtt.connectAsync(url, { ...opts, reconnectPeriod: 0, connectTimeout: 5_000 });
      await bounded(c.endAsync(true));
      return false;
    } catch {
      return true;
    }
  };
  const attempts: Array<[string, mqtt.IClientOptions]> = [
    ['no credentials', { clientId: 'anon' }],
    ['wrong password', { clientId: p.gatewayId, username: p.gatewayId, password: 'not-the-password' }],
    ['unknown user', { clientId: 'ghost', username: 'ghost', password: 'whatever-long-enough' }],
    ['empty password', { clientId: 'tz-ingest-x', username: 'tz-ingest', password: '' }],
  ];
  const let_in: string[] = [];
  for (const [what, opts] of attempts) if (!(await refused(opts))) let_in.push(what);
  const auth = check('security-mqtt-unauthenticated', attempts.length, let_in.length, let_in.map((w) => `broker accepted a connection with ${w}`));

  // gw-fault-other against gw-fault-1: read its uplinks, inject readings, send it commands.
  const victim = p.gatewayId;
  const observer = await mqtt.connectAsync(url, { clientId: 'tz-observer', username: 'tz-observer', password: p.secrets.observer, reconnectPeriod: 0 });
  const seenByObserver: string[] = [];
  observer.on('message', (topic, payload) => { if (payload.includes('intruder')) seenByObserver.push(topic); });
  let observing = 0;
  for (const f of [topics.allBatches, `tz/v1/gw/${victim}/up/status`, `tz/v1/gw/${victim}/down/cmd`]) {
    const g = await bounded(observer.subscribeAsync(f, { qos: 1 }).catch(() => [{ qos: 128 }]));
    if (g !== 'timeout' && g[0] && g[0].qos !== 128) observing++;
  }
  const intruder = await mqtt.connectAsync(url, { clientId: 'gw-fault-other', username: 'gw-fault-other', password: p.secrets.other, reconnectPeriod: 0 });
  const problems: string[] = [];
  let intruderGot = 0;
  intruder.on('message', () => { intruderGot++; });
  const filters = [`tz/v1/gw/${victim}/up/batch`, `tz/v1/gw/${victim}/#`, 'tz/v1/gw/+/up/batch', '#', `tz/v1/gw/${victim}/down/cmd`, '$SYS/#'];
  let granted = 0;
  for (const f of filters) {
    const g = await bounded(intruder.subscribeAsync(f, { qos: 1 }).catch(() => [{ qos: 128 }]));
    if (g !== 'timeout' && g[0] && g[0].qos !== 128) { granted++; problems.push(`gateway gw-fault-other was granted a subscription to ${f}`); }
  }
  const forged = encodeUplinkBatch({ gatewayId: victim, batchSeq: 1, sentAtMs: Date.now(), readings: [{ deviceId: 'intruder-1', profile: 'manhole-cover', timestampMs: Date.now(), seq: 1, district: 'intruder', metrics: [] }] });
  for (const t of [topics.batch(victim), `tz/v1/gw/${victim}/down/cmd`, `tz/v1/gw/${victim}/up/status`]) await bounded(intruder.publishAsync(t, Buffer.from(forged), { qos: 1 }).catch(() => undefined));
  await sleep(2_000);
  if (seenByObserver.length > 0) problems.push(`gw-fault-other's publishes reached ${[...new Set(seenByObserver)].join(', ')}`);
  if (intruderGot > 0) problems.push(`gw-fault-other received ${intruderGot} messages of another gateway`);
  const stored = (await storedReadings(p.influx)).filter((r) => r.deviceId === 'intruder-1').length;
  if (stored > 0) problems.push(`a reading forged by gw-fault-other under ${victim}'s topic was stored`);
  await bounded(intruder.endAsync(true).catch(() => undefined));
  await bounded(observer.endAsync(true).catch(() => undefined));
  if (observing === 0) problems.push('the observer service account could subscribe to nothing: cannot see what the intruder reached');
  const isolation = check('security-gateway-isolation', filters.length + 3, granted + seenByObserver.length + stored, problems, [`observer saw ${observing} of 3 topics`]);
  return [auth, isolation];
}

async function httpChecks(p: Pipeline, tokens: Record<string, string> | null, accessNote: string | null): Promise<FaultResult[]> {
  const routes = loadRoutes(p);
  const api = routes.filter(isApi);
  const results: FaultResult[] = [];
  const note = `${routes.length} routes enumerated from the Fastify apps (${api.length} API routes)`;
  if (api.length === 0) return [check('security-http', 0, 0, ['no HTTP API routes were enumerated (route recorder saw none)'])];

  // 1. No token → 401/403 on every API route.
  const open: string[] = [];
  for (const r of api.filter((x) => !publicByDesign(x))) {
    const res = await call(r, fill(r.url, 'x1'));
    if (res.status !== 401 && res.status !== 403) open.push(`${r.method} ${r.url} → ${res.status}`);
  }
  results.push(check('security-http-unauthenticated', api.filter((x) => !publicByDesign(x)).length, open.length, open.length ? [`${open.length} API routes answer without a token${accessNote ? ` (${accessNote})` : ''}: ${open.slice(0, 6).join(', ')}${open.length > 6 ? ', …' : ''}`] : [], [note, 'GET /open311/v2/* public by GeoReport v2']));

  // 2. Wrong role: readonly may change nothing; crew may not touch rules.
  if (!tokens) {
    results.push(check('security-http-roles', 0, 0, [`cannot issue role tokens: ${accessNote ?? 'unknown reason'}`]));
  } else {
    const wrong: string[] = [];
    let attempts = 0;
    for (const r of api) {
      const forbiddenFor = [...(r.method !== 'GET' ? ['readonly'] : []), ...(r.url.startsWith('/api/v1/rules') && r.method !== 'GET' ? ['crew', 'dispatcher'] : [])];
      for (const role of forbiddenFor) {
        attempts++;
        const res = await call(r, fill(r.url, 'x1'), tokens[role]);
        if (res.status !== 403 && res.status !== 401) wrong.push(`${role} ${r.method} ${r.url} → ${res.status}`);
      }
    }
    results.push(check('security-http-roles', attempts, wrong.length, wrong.length ? [`tokens of the wrong role were not refused: ${wrong.slice(0, 6).join(', ')}`] : []));
  }

  // 3. Injection in every path parameter and query parameter, with the strongest token.
  const token = tokens?.admin;
  const bad: string[] = [];
  let attempts = 0;
  for (const r of api.filter((x) => x.method === 'GET' || x.url.includes(':'))) {
    const queryNames = r.method === 'GET' ? (r.query.length ? r.query : COMMON_QUERY) : [];
    // Per parameter, a benign value that matches nothing: an injection that "works" returns more rows than it.
    const targets: Array<{ path: (v: string) => string }> = [];
    if (r.url.includes(':')) targets.push({ path: (v) => fill(r.url, v) });
    for (const q of queryNames) targets.push({ path: (v) => `${fill(r.url, 'x1')}?${q}=${encodeURIComponent(v)}` });
    for (const t of targets) {
      const baseline = rowCount((await call(r, t.path('no-such-value-0'), token).catch(() => ({ status: 599, body: '' }))).body);
      for (const payload of INJECTIONS) {
        attempts++;
        const path = t.path(payload);
        const res = await call(r, path, token).catch((err: Error) => ({ status: 599, body: err.message }));
        const more = res.status < 300 && rowCount(res.body) > baseline;
        if (res.status >= 500 || LEAK.test(res.body) || more) bad.push(`${r.method} ${path} → ${res.status}${more ? ` with more rows than a non-matching value` : ''}`);
      }
    }
  }
  // The stores still answer normally afterwards (nothing dropped).
  const after = await fetch(`${p.url('rules')}/healthz`).then((r) => r.status).catch(() => 0);
  if (after !== 200) bad.push(`rules /healthz answers ${after} after the injection attempts`);
  results.push(check('security-http-injection', attempts, bad.length, bad.length ? [`${bad.length} injection attempts not refused: ${bad.slice(0, 5).join(', ')}`] : [], [note]));
  return results;
}

export const faultCase: FaultCase = {
  name: 'security',
  run: async () => {
    const p = new Pipeline({ name: 'security', recordRoutes: true, devices: 4, pollIntervalMs: 1000 });
    let results: FaultResult[] = [];
    try {
      const accessFlag = await cliHasOption(['rules', 'run'], '--access-db', '--tokens-db', '--access');
      const accessDb = join(p.dir, 'access.sqlite');
      let tokens: Record<string, string> | null = null;
      let accessNote: string | null = null;
      if (accessFlag) {
        tokens = {};
        for (const role of ['admin', 'operator', 'dispatcher', 'crew', 'readonly']) tokens[role] = await issueToken(accessDb, role);
        p.options.rulesArgs = [accessFlag, accessDb];
      } else accessNote = 'the rules CLI has no option for an access-token database, so its API runs without access control';
      await p.start();
      await untilFreshReadingStored(p, 0, 30_000);
      results = [...(await mqttChecks(p)), ...(await httpChecks(p, tokens, accessNote))];
    } catch (err) {
      const [firstLine = ''] = toError(err).message.split('\n');
      results.push(check('security', 0, 0, [firstLine]));
    } finally {
      await p.stop();
    }
    return results;
  },
};

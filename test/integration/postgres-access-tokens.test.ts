// The shared token store suite against a real PostgreSQL server (issue 20),
// plus what only a shared, remote store has to show: while the server is
// away a request with a token is answered 503 TZ_STORE_UNAVAILABLE (never a
// 500, never a 401 that would send people to sign in again), and works again
// when it is back; a dead server at start is TZ_STORE_UNAVAILABLE; the
// `tianzhong tokens` CLI works against a postgres:// URL.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { DEFAULT_CASE_CONFIG, openCaseSystem } from '../../cases/index.ts';
import { CREWS } from '../../cases/test/fixtures.ts';
import { createLogger, createRegistry, createServiceHttp, isTzError, listenService, openAccessStore } from '../../service-kit/index.ts';
import { accessTokensSuite } from '../../service-kit/test/access-tokens.suite.ts';
import { freePort, startPostgres, tempDir, type TestPostgres } from './helpers.ts';

let server: TestPostgres;
let n = 0;

test.before(async () => {
  server = await startPostgres();
});
test.after(async () => {
  await server?.stop();
});

accessTokensSuite(test, 'postgres', {
  fresh: () => server.createDatabase(`tz_access_${++n}`),
  dump: async (url) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const rows = (await client.query<{ row: Record<string, unknown> }>('SELECT row_to_json(t) AS row FROM tz_access.access_tokens t')).rows;
      const hashes = (await client.query<{ h: Buffer }>('SELECT secret_hash AS h FROM tz_access.access_tokens')).rows.map((r) => `${r.h.toString('hex')} ${r.h.toString('base64url')}`);
      return JSON.stringify({ rows: rows.map((r) => r.row), hashes });
    } finally {
      await client.end();
    }
  },
});

test('postgres tokens: the server away answers 503 TZ_STORE_UNAVAILABLE to a request with a token (API and Open311), and tokens work again when it is back', async () => {
  const url = await server.createDatabase('tz_access_outage');
  const dir = tempDir('tz-access-outage-');
  const registry = createRegistry('cases');
  const log = createLogger('cases', 'silent');
  const store = await openAccessStore(url, { registry, log: createLogger('access', 'silent') });
  const operator = await store.tokens.issue({ name: 'ops', role: 'operator' });
  // The cases on SQLite: only the token store goes away.
  const system = await openCaseSystem({
    dbPath: join(dir.path, 'cases.sqlite'), access: store.tokens, registry, log, photoDir: join(dir.path, 'photos'), slaCheckMs: 0, outboxPollMs: 60_000,
    config: { ...(DEFAULT_CASE_CONFIG as object), crews: CREWS },
  });
  const app = createServiceHttp({ component: 'cases', registry, log, health: () => ({ ok: true }) });
  await system.registerRoutes(app);
  const base = await listenService(app);
  const cases = (token?: string) => fetch(`${base}/api/v1/cases`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const open311 = (apiKey: string) => fetch(`${base}/open311/v2/requests.json`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api_key: apiKey, service_code: 'manhole-cover', lat: 32.98, long: 114.02, description: 'cover missing' }),
  });
  try {
    assert.is((await cases(operator.token)).status, 200);
    await server.stopServer();
    try {
      const away = await cases(operator.token);
      assert.is(away.status, 503);
      const body = (await away.json()) as { code: string };
      assert.is(body.code, 'TZ_STORE_UNAVAILABLE');
      assert.ok(away.headers.get('retry-after'), 'says when to try again');
      assert.is((await cases()).status, 401, 'without a token the store is not asked: still 401');
      const filed = await open311(operator.token);
      assert.is(filed.status, 503, `open311 with an api_key: ${filed.status} ${await filed.clone().text()}`);
      assert.equal(((await filed.json()) as Array<{ code: number }>).map((e) => e.code), [503], 'in the GeoReport v2 error shape');
      const metrics = await (await fetch(`${base}/metrics`)).text();
      const counted = /^tz_access_store_unavailable_total(?:\{[^}]*\})? (\d+)/m.exec(metrics);
      assert.ok(counted && Number(counted[1]) >= 2, `unavailability counted in /metrics: ${counted?.[0] ?? 'missing'}`);
    } finally {
      await server.startServer();
    }
    const back = await cases(operator.token);
    assert.is(back.status, 200, 'the pool connects again by itself');
  } finally {
    await app.close();
    await system.stop();
    await store.close();
    dir.remove();
  }
});

test('postgres tokens: a server that is not there at start is TZ_STORE_UNAVAILABLE, not a crash or a bare pg error', async () => {
  const dead = `postgres://postgres@127.0.0.1:${await freePort()}/nothing`;
  try {
    await openAccessStore(dead);
    assert.unreachable('opened a store on a dead port');
  } catch (err) {
    assert.ok(isTzError(err, 'TZ_STORE_UNAVAILABLE'), String(err));
  }
});

const run = promisify(execFile);
const cli = (args: string[], env: Record<string, string> = {}) => run(process.execPath, [join(process.cwd(), 'bin/tianzhong.js'), ...args], { env: { ...process.env, ...env }, timeout: 60_000 });

test('postgres tokens: tianzhong tokens add / list / revoke against a postgres:// URL (--db or TZ_TOKENS_DB); services on it see the result', async () => {
  const url = await server.createDatabase('tz_access_cli');
  const dir = tempDir('tz-access-cli-');
  try {
    const auditDb = join(dir.path, 'audit.sqlite');
    const issued = JSON.parse((await cli(['tokens', 'add', '--name', 'ops desk 2', '--role', 'dispatcher', '--expires-in', '30d', '--db', url, '--audit-db', auditDb, '--json'])).stdout) as { token: string; tokenId: string; expiresAt: number };
    assert.ok(issued.expiresAt > Date.now() + 29 * 86_400_000);
    const store = await openAccessStore(url);
    try {
      assert.is((await store.tokens.verify(issued.token))?.role, 'dispatcher', 'a service on the same database accepts it');
      const listed = (await cli(['tokens', 'list', '--json'], { TZ_TOKENS_DB: url })).stdout;
      assert.equal((JSON.parse(listed) as Array<{ tokenId: string }>).map((p) => p.tokenId), [issued.tokenId]);
      assert.not.ok(listed.includes(issued.token.slice(-43)), 'no secret listed');
      await cli(['tokens', 'revoke', issued.tokenId, '--db', url, '--audit-db', auditDb]);
      assert.is(await store.tokens.verify(issued.token), null, 'revoked from the CLI: refused by the service at once');
      const again = await cli(['tokens', 'revoke', issued.tokenId, '--db', url, '--audit-db', auditDb]).then(() => null, (err: { stderr?: string }) => err);
      assert.ok(again, 'revoking twice fails');
      assert.not.match(again.stderr ?? '', url, 'the URL (it may hold a password) is not printed');
    } finally {
      await store.close();
    }
  } finally {
    dir.remove();
  }
});

test.run();

// Survive the loss of a machine: back up a running stack (its own managed
// influxd, SQLite stores in WAL mode, written to while the backup runs),
// wipe it, restore into a fresh var folder and a fresh influxd, and count
// cases, alarms, rules, tokens and readings. The stack keeps writing during
// the backup, so what grows (readings, alarms, cases) must lie between the
// counts just before and just after it; what does not (rules, tokens) must be equal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { appendFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, waitFor } from './helpers.ts';
import { startStack, type RunningStack } from '../../cli/stack.ts';
import { startManagedInfluxd } from '../../testing/index.ts';
import { plainProgress, readManifest, runBackup, runRestore, stackBackupSources } from '../../cli/backup/index.ts';
import { loadScenario, writeCompressedProfiles } from '../../firmware-sim/index.ts';
import { isTzError, openAccessTokens, openAuditLog, queryInfluxQL } from '../../service-kit/index.ts';

interface Counts { readings: number; alarms: number; cases: number; rules: number; tokens: number }

let dir: { path: string; remove(): void };
let stack: RunningStack | undefined;

test.before(() => {
  dir = tempDir('tz-backup-');
});

test.after(async () => {
  await stack?.stop();
  dir?.remove();
});

async function readings(url: string, database: string): Promise<number> {
  const series = await queryInfluxQL({ url, database }, 'SELECT COUNT(*) FROM /.*/');
  let sum = 0;
  for (const s of series) for (const row of s.values) for (let i = 0; i < s.columns.length; i++) if (s.columns[i]!.startsWith('count_')) sum += Number(row[i] ?? 0);
  return sum;
}

async function getJson(stackUrl: string, path: string, token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${stackUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  assert.is(res.status, 200, `GET ${path}`);
  return (await res.json()) as Record<string, unknown>;
}

function activeTokens(varDir: string): number {
  const db = new Database(join(varDir, 'access.sqlite'));
  try {
    return (db.prepare('SELECT count(*) AS n FROM access_tokens WHERE revoked_at IS NULL').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function liveCounts(s: RunningStack, varDir: string): Promise<Counts> {
  const token = s.operatorToken;
  const alarms = (await getJson(s.urls.rules, '/api/v1/alarms?limit=1000', token)).alarms as unknown[];
  const cases = await getJson(s.urls.rules, '/api/v1/cases?limit=1', token);
  // Rules operators wrote (the profiles' defaults are not stored: they come back with the profiles).
  const rules = sqliteCount(join(varDir, 'rules.sqlite'), 'SELECT count(*) AS n FROM rule_docs');
  return { readings: await readings(s.influxUrl, s.database), alarms: alarms.length, cases: Number(cases.total), rules, tokens: activeTokens(varDir) };
}

function sqliteCount(file: string, sql: string): number {
  const db = new Database(file, { fileMustExist: true });
  try {
    assert.is((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok', `${file} integrity`);
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

test('a running stack backed up, wiped and restored on a fresh var folder and influxd has every case, alarm, rule, token and reading', async () => {
  const var1 = join(dir.path, 'var1');
  const speed = 240;
  const profileDir = writeCompressedProfiles(speed, join(dir.path, 'profiles'));
  // No influx option: the stack runs its own managed influxd under var1/influxdb, as `npm start` does.
  stack = await startStack({ varDir: var1, devices: 40, seed: 11, gatewayId: 'gw-backup', pollIntervalMs: 250, profileDir, database: 'tianzhong', mqttPort: 0, statusPort: 0 });
  const running = stack;
  running.sim.runScenario(loadScenario('vandalism-spree', running.profiles), { speed });

  // An admin token issued into the stack's own token file: the rules service shares it, and records the issue in the audit log.
  const auditDb = new Database(join(var1, 'audit.sqlite'));
  const tokensDb = new Database(join(var1, 'access.sqlite'));
  const audit = openAuditLog(auditDb);
  const admin = openAccessTokens(tokensDb, Date.now, (e) => { audit.append(e); }).issue({ name: 'backup test admin', role: 'admin', by: 'test' });
  tokensDb.close();
  auditDb.close();

  await waitFor('alarms, cases and readings in the running stack', async () => {
    const c = await liveCounts(running, var1);
    return c.alarms > 0 && c.cases > 0 && c.readings > 50 ? c : undefined;
  }, 60_000, 500);

  const rule = { id: 'deep-water', name: 'Deep water', severity: 'warning', scope: { classes: ['manhole-cover'], districts: ['gulou'] }, when: { metric: 'water_level_cm', op: '>', value: 100 } };
  const created = await fetch(`${running.urls.rules}/api/v1/rules`, { method: 'POST', headers: { authorization: `Bearer ${running.operatorToken}`, 'content-type': 'application/json' }, body: JSON.stringify(rule) });
  assert.is(created.status, 201);
  const ruleRecords = (await getJson(running.urls.rules, '/api/v1/audit?action=rule', admin.token)).records as Array<{ action: string; target: string }>;
  assert.equal(ruleRecords.map((r) => r.action), ['rule.create']);

  // A silence through the API: recorded in the one audit log, readable by admins only.
  const silence = await fetch(`${running.urls.rules}/api/v1/silences`, {
    method: 'POST', headers: { authorization: `Bearer ${running.operatorToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'maintenance', matchers: { deviceIds: ['mh-none'] }, endsAt: new Date(Date.now() + 3_600_000).toISOString(), reason: '备份测试 backup test' }),
  });
  assert.is(silence.status, 201);
  assert.is((await fetch(`${running.urls.rules}/api/v1/audit`, { headers: { authorization: `Bearer ${running.operatorToken}` } })).status, 403, 'operators may not read the audit log');
  const records = (await getJson(running.urls.rules, '/api/v1/audit?action=silence&limit=10', admin.token)).records as Array<{ action: string; actor: string; result: string }>;
  assert.equal(records.map((r) => [r.action, r.result]), [['silence.create', 'ok']]);
  assert.match(records[0]!.actor, /npm-start/);
  const issued = (await getJson(running.urls.rules, '/api/v1/audit?action=token.issue', admin.token)).records as Array<{ target: string; actor: string }>;
  assert.ok(issued.some((r) => r.target === admin.principal.tokenId && r.actor === 'test'), 'the admin token issue is in the audit log');

  const logins = (await getJson(running.urls.rules, '/api/v1/audit?action=broker.login', admin.token)).records as Array<{ actor: string; result: string }>;
  assert.ok(logins.some((r) => r.actor === 'gw-backup' && r.result === 'ok'), 'the gateway login is in the audit log');

  const before = await liveCounts(running, var1);
  const out = join(dir.path, 'backup');
  const lines: string[] = [];
  const manifest = await runBackup(out, stackBackupSources({ varDir: var1 }), plainProgress((l) => lines.push(l)));
  const after = await liveCounts(running, var1);
  assert.ok(lines.some((l) => /^var .*: \d+ to do$/.test(l)), `progress lines: ${lines.join(' | ')}`);

  // The manifest names every store found in var1, the influxd backup, and checksums.
  for (const store of ['access.sqlite', 'audit.sqlite', 'rules.sqlite', 'cases.sqlite', 'dead-letter.sqlite', 'edge-agent/gw-backup/gateway.sqlite']) {
    assert.ok(manifest.files.some((f) => f.path === `var/${store}`), `var/${store} in the manifest`);
  }
  assert.ok(manifest.files.some((f) => f.path.startsWith('influxdb/') && f.path.endsWith('.manifest')), 'an influxd portable backup');
  assert.ok(manifest.parts.every((p) => p.covered));
  assert.is(manifest.versions.tianzhong, readManifest(out).versions.tianzhong);
  assert.ok(manifest.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256) && f.bytes >= 0));

  // The machine is lost.
  await running.stop();
  stack = undefined;
  rmSync(var1, { recursive: true, force: true });

  const var2 = join(dir.path, 'var2');
  await runRestore(out, stackBackupSources({ varDir: var2 }), plainProgress(() => {}));

  // A second restore onto it is refused (not empty), and so is a damaged backup onto an empty folder.
  const refused = await runRestore(out, stackBackupSources({ varDir: var2 }), plainProgress(() => {})).catch((err: unknown) => err);
  assert.ok(isTzError(refused, 'TZ_BACKUP_INVALID') && /not empty/.test(refused.message), String(refused));

  const restored: Counts = {
    alarms: sqliteCount(join(var2, 'rules.sqlite'), 'SELECT count(*) AS n FROM alarms'),
    cases: sqliteCount(join(var2, 'cases.sqlite'), 'SELECT count(*) AS n FROM cases'),
    rules: sqliteCount(join(var2, 'rules.sqlite'), 'SELECT count(*) AS n FROM rule_docs'),
    tokens: activeTokens(var2),
    readings: 0,
  };
  const influxd = await startManagedInfluxd({ dataDir: join(var2, 'influxdb') });
  try {
    restored.readings = await readings(influxd.url, 'tianzhong');
  } finally {
    await influxd.stop();
  }
  for (const key of ['readings', 'alarms', 'cases'] as const) {
    assert.ok(before[key] <= restored[key] && restored[key] <= after[key], `${key}: ${before[key]} ≤ ${restored[key]} ≤ ${after[key]}`);
  }
  assert.ok(restored.cases > 0 && restored.alarms > 0 && restored.readings > 50 && restored.rules > 0);
  assert.is(restored.rules, before.rules);
  assert.is(restored.tokens, before.tokens);
  assert.is(restored.tokens, after.tokens);

  appendFileSync(join(out, 'var', 'cases.sqlite'), Buffer.from([0]));
  const var3 = join(dir.path, 'var3');
  const damaged = await runRestore(out, stackBackupSources({ varDir: var3 }), plainProgress(() => {})).catch((err: unknown) => err);
  assert.ok(isTzError(damaged, 'TZ_BACKUP_INVALID') && /var\/cases\.sqlite/.test(damaged.message), String(damaged));
  assert.ok(!existsSync(var3) || readdirSync(var3).length === 0, 'nothing restored from a damaged backup');
});

test.run();

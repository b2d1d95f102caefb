// Shared set-up of the case unit tests: a case system on an in-memory
// database with a hand-moved clock and two crews.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, openAccessTokens } from '../../service-kit/index.ts';
import type { AlarmEvent, AlarmView } from '../../proto/index.ts';
import { DEFAULT_CASE_CONFIG } from '../config.ts';
import { openCaseSystem, type CaseSystem, type CaseSystemOptions } from '../case-system.ts';

export const T0 = Date.parse('2025-03-01T08:00:00Z');
export const HOUR = 3_600_000;

export const CREWS = [
  { id: 'c1', name: 'North covers', department: 'municipal-facilities', districts: ['north'], gridCells: [], skills: ['manhole-cover', 'drainage'], webhookUrl: null },
  { id: 'c2', name: 'Anywhere', department: 'municipal-facilities', districts: ['*'], gridCells: [], skills: ['*'], webhookUrl: null },
];

export interface Fixture {
  system: CaseSystem;
  clock: ManualClock;
  close(): Promise<void>;
}

export async function openFixture(over: { config?: Record<string, unknown> } & Partial<CaseSystemOptions> = {}): Promise<Fixture> {
  const clock = new ManualClock(T0);
  const dir = mkdtempSync(join(tmpdir(), 'tz-cases-unit-'));
  const db = new Database(':memory:');
  const { config, ...rest } = over;
  const system = await openCaseSystem({
    dbPath: await caseDatabase(), clock, access: openAccessTokens(db), photoDir: join(dir, 'photos'), slaCheckMs: 0, outboxPollMs: 60_000,
    config: { ...(DEFAULT_CASE_CONFIG as object), crews: CREWS, ...config },
    ...rest,
  });
  return {
    system, clock,
    async close() {
      await system.stop();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let seq = 0;
let databases = 0;

/**
 * Where a fixture keeps its cases: in memory (SQLite), or — when
 * TZ_TEST_CASES_POSTGRES names a PostgreSQL server (test/integration/
 * postgres-case-workflow.test.ts sets it) — a fresh database there, so the
 * same workflow scenarios run on both stores.
 */
async function caseDatabase(): Promise<string> {
  const server = process.env.TZ_TEST_CASES_POSTGRES;
  if (!server) return ':memory:';
  const { default: pg } = await import('pg');
  const name = `tz_fixture_${process.pid}_${++databases}`;
  const client = new pg.Client({ connectionString: `${server}/postgres` });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return `${server}/${name}`;
}

export function alarm(over: Partial<AlarmView> = {}): AlarmView {
  const at = new Date(T0).toISOString();
  return {
    id: `al-${++seq}`, ruleId: 'cover-open', ruleName: 'Manhole cover open', severity: 'critical', state: 'active', deviceId: 'mc-0001', gatewayId: 'gw-1',
    district: 'north', profile: 'manhole-cover', count: 1, raisedAt: at, lastSeenAt: at, acknowledgedAt: null, acknowledgedBy: null, clearedAt: null,
    lastValues: { open: true }, evidence: [], case: { category: 'manhole-cover', priority: 'urgent' }, incidentId: null, caseId: null, createdAt: at, updatedAt: at,
    ...over,
  };
}

export function event(type: AlarmEvent['type'], a: AlarmView, eventId = `ev-${++seq}`): AlarmEvent {
  return { eventId, type, at: new Date(T0).toISOString(), alarm: a };
}

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadProfiles } from '../../device-profiles/index.ts';
import type { AlarmEvent, IReading } from '../../proto/index.ts';
import { createRegistry, ManualClock } from '../../service-kit/index.ts';
import { createRulesMetrics, RulesEngine, SilenceBook, silenceMatches, SqliteRulesStore, type DeviceFacts } from '../index.ts';

/** SQLite answers synchronously. */
function sync<T>(value: T | Promise<T>): T {
  if (value instanceof Promise) throw new Error('a SQLite store answered asynchronously');
  return value;
}

// Silences on a manual clock: scope matching as a table; a pending window
// silences nothing; inside it an alarm is stored, marked and not delivered;
// when the window ends by time the still-open alarm is raised at the next tick.

const T0 = Date.UTC(2026, 5, 1, 2, 0, 0);
const MIN = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'tz-rules-silences-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('matching: every part given must match; lists match any value; asset and district from deviceFacts win', () => {
  const facts: DeviceFacts = (id) => (id === 'mh-7' ? { assetId: 'bridge-2', district: 'xiping' } : undefined);
  const subject = (deviceId: string, district = 'gulou', ruleId = 'cover-open') => ({ deviceId, district, ruleId });
  const table: Array<[string, Parameters<typeof silenceMatches>[0], ReturnType<typeof subject>, boolean]> = [
    ['device listed', { deviceIds: ['mh-1', 'mh-2'] }, subject('mh-2'), true],
    ['device not listed', { deviceIds: ['mh-1'] }, subject('mh-3'), false],
    ['rule and device', { ruleIds: ['cover-open'], deviceIds: ['mh-1'] }, subject('mh-1'), true],
    ['other rule on the device', { ruleIds: ['shaft-flooding'], deviceIds: ['mh-1'] }, subject('mh-1'), false],
    ['district of the reading', { districts: ['gulou'] }, subject('mh-1'), true],
    ['registry district wins', { districts: ['gulou'] }, subject('mh-7'), false],
    ['registry district', { districts: ['xiping'] }, subject('mh-7'), true],
    ['asset from the registry', { assetIds: ['bridge-2'] }, subject('mh-7'), true],
    ['asset defaults to the device', { assetIds: ['mh-1'] }, subject('mh-1'), true],
  ];
  for (const [name, m, s, expected] of table) assert.is(silenceMatches(m, s, facts), expected, name);
});

function reading(deviceId: string, seconds: number, open: boolean): IReading {
  return { deviceId, profile: 'manhole-cover', profileVersion: 1, timestampMs: T0 + seconds * 1000, seq: seconds + 1, district: 'gulou', metrics: [{ name: 'cover_open', flag: open }] };
}

test('a maintenance window: pending silences nothing; inside, stored + marked + not delivered; ended by time, raised at the next tick', () => {
  const clock = new ManualClock(T0);
  const store = new SqliteRulesStore(join(dir, 'a.db'));
  const silences = new SilenceBook(store, clock, () => undefined);
  const metrics = createRulesMetrics(createRegistry('rules-test'), { alarmsActive: () => 0, outboxDepth: () => ({}), devices: () => 0 });
  const engine = new RulesEngine({ store, profiles: loadProfiles(), clock, timeZone: 'Asia/Shanghai', log: pino({ level: 'silent' }), metrics, sinks: () => ['cases'], silences });
  const events = () => store.claimOutbox('cases', 10_000).map((r) => JSON.parse(r.payload) as AlarmEvent);
  try {
    const window = sync(silences.create({ kind: 'maintenance', matchers: { deviceIds: ['mh-1', 'mh-2'] }, startsAt: T0 + 10 * MIN, endsAt: T0 + 40 * MIN, reason: 'cover replacement' }, 'operator:ops#1'));
    engine.handleReading('gw-1', reading('mh-1', 0, true));
    assert.is(store.findOpenAlarm('cover-open', 'mh-1')?.silencedBy, null, 'the window has not started');
    assert.is(events().length, 1);

    clock.advance(15 * MIN);
    engine.handleReading('gw-1', reading('mh-2', 900, true));
    const quiet = store.findOpenAlarm('cover-open', 'mh-2')!;
    assert.is(quiet.silencedBy, window.id);
    engine.handleReading('gw-1', reading('mh-2', 960, true));
    assert.is(store.findOpenAlarm('cover-open', 'mh-2')!.count, 2, 'repeats update it, still silent');
    assert.is(events().length, 1, 'no event for the silenced alarm');
    assert.is(engine.counters.alarmChangesSuppressed, 2);

    // (Before the 45-minute no-data limit of manhole covers: only the window matters here.)
    clock.advance(24 * MIN);
    engine.tick();
    assert.is(events().length, 1, 'still inside the window');
    clock.advance(1 * MIN);
    engine.tick();
    const after = events();
    assert.is(after.length, 2);
    assert.is(after[1]!.type, 'raised');
    assert.is(after[1]!.alarm.deviceId, 'mh-2');
    assert.is(after[1]!.alarm.silencedBy, null);
    assert.equal(sync(silences.history(window.id)).map((v) => [v.action, v.who, v.note]), [['create', 'operator:ops#1', 'cover replacement']]);
    assert.equal(sync(silences.list('expired')).map((s) => s.id), [window.id]);
  } finally {
    store.close();
  }
});

test('refused: end before start, end in the past, longer than 90 days', () => {
  const clock = new ManualClock(T0);
  const store = new SqliteRulesStore(join(dir, 'b.db'));
  const silences = new SilenceBook(store, clock, () => undefined);
  try {
    const m = { deviceIds: ['x'] };
    assert.throws(() => silences.create({ kind: 'silence', matchers: m, startsAt: T0 + MIN, endsAt: T0, reason: 'r' }, 'w'), /after startsAt/);
    assert.throws(() => silences.create({ kind: 'silence', matchers: m, startsAt: T0 - 2 * MIN, endsAt: T0 - MIN, reason: 'r' }, 'w'), /past/);
    assert.throws(() => silences.create({ kind: 'silence', matchers: m, endsAt: T0 + 91 * 24 * 60 * MIN, reason: 'r' }, 'w'), /90 days/);
  } finally {
    store.close();
  }
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, SimulatedClock, claimSqliteClock, claimSqliteFileClock, clockKind, isTzError, openSqlite, parseSimulatedClock, serviceClock, systemClock } from '../index.ts';

const NOV_1 = Date.parse('2026-11-01T00:00:00+08:00');

test('a simulated clock stands at its start until released, then runs `speed` times the wall clock', () => {
  const wall = new ManualClock(1_000_000);
  const clock = new SimulatedClock(NOV_1, 3600, null, wall);
  wall.advance(5000);
  assert.is(clock.now(), NOV_1, 'not released: time stands');
  assert.is(clock.running, false);
  assert.is(clock.wallMsUntil(NOV_1 + 1), Infinity);
  clock.release();
  wall.advance(1000);
  assert.is(clock.now(), NOV_1 + 3_600_000, 'one wall second is one city hour');
  assert.is(clock.wallMsUntil(NOV_1 + 7_200_000), 1000);
  clock.release(0);
  assert.is(clock.now(), NOV_1 + 3_600_000, 'a second release keeps the first anchor');
});

test('two processes given the same spec read the same time', () => {
  const wall = new ManualClock(50_000);
  const first = new SimulatedClock(NOV_1, 720, null, wall).release();
  wall.advance(12_345);
  const second = parseSimulatedClock(first.toSpec(), 'Asia/Shanghai', wall);
  assert.is(second.now(), first.now());
  assert.is(second.speed, 720);
  assert.is(first.toSpec(), `2026-10-31T16:00:00.000Z@720@50000`);
});

test('specs: city-local start in the city zone, ISO with offset, bad ones refused', () => {
  assert.is(parseSimulatedClock('2026-11-01T00:00@3600', 'Asia/Shanghai').startMs, NOV_1);
  assert.is(parseSimulatedClock('2026-11-01T00:00:00Z@60').startMs, Date.parse('2026-11-01T00:00:00Z'));
  for (const bad of ['2026-11-01T00:00', 'noon@60', '2026-11-01T00:00@fast', '2026-11-01T00:00@0', '2026-11-01T00:00@60@soon', 'a@1@2@3']) {
    try {
      parseSimulatedClock(bad);
      assert.unreachable(bad);
    } catch (err) {
      assert.ok(isTzError(err, 'TZ_CONFIG_INVALID'), `${bad}: ${String(err)}`);
    }
  }
});

test('serviceClock: the flag, else TZ_SIM_CLOCK, else the wall clock', () => {
  assert.is(serviceClock(undefined, {}), systemClock);
  assert.is(clockKind(serviceClock(undefined, { TZ_SIM_CLOCK: '2026-11-01T00:00@3600' })), 'simulated');
  assert.is((serviceClock('2026-12-01T00:00@10', { TZ_SIM_CLOCK: '2026-11-01T00:00@3600' }) as SimulatedClock).speed, 10);
  assert.is(clockKind(new ManualClock()), 'wall');
});

// Table: (store created with, opened with) → refused?
const sim = () => new SimulatedClock(NOV_1, 3600);
const CASES: Array<[string, () => import('../index.ts').Clock, () => import('../index.ts').Clock, boolean]> = [
  ['wall store, wall service', () => systemClock, () => systemClock, false],
  ['simulated store, simulated service', sim, sim, false],
  ['wall store, simulated service', () => systemClock, sim, true],
  ['simulated store, wall service', sim, () => systemClock, true],
];
for (const [name, created, opened, refused] of CASES) {
  test(`store clock mark: ${name} → ${refused ? 'TZ_CLOCK_MISMATCH' : 'opens'}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'tz-clock-mark-'));
    try {
      const path = join(dir, 'store.sqlite');
      claimSqliteFileClock(path, created(), 'test store');
      try {
        claimSqliteFileClock(path, opened(), 'test store');
        assert.not.ok(refused, 'should have been refused');
      } catch (err) {
        assert.ok(refused, String(err));
        assert.ok(isTzError(err, 'TZ_CLOCK_MISMATCH'), String(err));
        assert.match((err as Error).message, /test store/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a store with data and no mark predates marks: it is a wall-clock store', () => {
  const db = openSqlite(':memory:', { durability: 'normal' });
  db.exec('CREATE TABLE cases (id INTEGER PRIMARY KEY)');
  try {
    claimSqliteClock(db, sim(), 'old store');
    assert.unreachable();
  } catch (err) {
    assert.ok(isTzError(err, 'TZ_CLOCK_MISMATCH'));
  }
  claimSqliteClock(db, systemClock, 'old store');
  assert.equal(db.prepare('SELECT kind FROM tz_clock').get(), { kind: 'wall' });
  db.close();
});

test.run();

// A compressed run can never write into a production case store, nor the
// reverse: the store remembers the clock it was created with.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, isTzError, openAccessTokens, SimulatedClock, systemClock, type Clock } from '../../service-kit/index.ts';
import { openCaseSystem } from '../index.ts';

async function open(dir: string, clock: Clock): Promise<void> {
  const db = new Database(':memory:');
  try {
    const system = await openCaseSystem({ dbPath: join(dir, 'cases.sqlite'), access: openAccessTokens(db), clock, log: createLogger('cases', 'silent'), photoDir: join(dir, 'photos'), slaCheckMs: 0 });
    await system.stop();
  } finally {
    db.close();
  }
}

const simulated = () => new SimulatedClock(Date.parse('2027-09-01T00:00:00+08:00'), 3600);
const TABLE: Array<[string, () => Clock, () => Clock]> = [
  ['a production (wall-clock) case store refuses a simulated run', () => systemClock, simulated],
  ['a simulated run\'s case store refuses production', simulated, () => systemClock],
];
for (const [name, first, second] of TABLE) {
  test(name, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tz-cases-clock-'));
    try {
      await open(dir, first());
      await open(dir, first()); // the same kind opens again
      try {
        await open(dir, second());
        assert.unreachable('opened with the other clock');
      } catch (err) {
        assert.ok(isTzError(err, 'TZ_CLOCK_MISMATCH'), String(err));
        assert.match((err as Error).message, /case store/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();

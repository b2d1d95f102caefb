import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadProfiles } from '../../device-profiles/index.ts';
import type { IReading } from '../../proto/index.ts';
import { createRegistry, ManualClock } from '../../service-kit/index.ts';
import { createRulesMetrics, RulesEngine, SqliteRulesStore } from '../index.ts';

// The fire hydrant's default rules on a manual clock: knocked over → urgent
// case at once; opened without a dispatch key for 2 min → a case for the
// water utility, an authorised fire draw → nothing; low pressure for 10 min.

const T0 = Date.UTC(2026, 11, 3, 2, 0, 0);
const dir = mkdtempSync(join(tmpdir(), 'tz-hydrant-rules-'));
const REST = { pressure_mpa: 0.32, valve_open: false, authorized: false, tampered: false, tilt_deg: 1, knocked_over: false, flow_m3h: 0, water_drawn_m3: 5, battery_pct: 90 };

function open() {
  const clock = new ManualClock(T0);
  const store = new SqliteRulesStore(join(dir, `h${Math.random().toString(36).slice(2)}.db`));
  const metrics = createRulesMetrics(createRegistry('rules-test'), { alarmsActive: () => 0, outboxDepth: () => ({}), devices: () => 0 });
  const engine = new RulesEngine({ store, profiles: loadProfiles(), clock, timeZone: 'Asia/Shanghai', log: pino({ level: 'silent' }), metrics, sinks: () => ['cases'] });
  let seq = 0;
  const send = (deviceId: string, values: Partial<typeof REST>) => {
    const r: IReading = {
      deviceId, profile: 'fire-hydrant', profileVersion: 1, timestampMs: clock.now(), seq: ++seq, district: 'yicheng',
      metrics: Object.entries({ ...REST, ...values }).map(([name, v]) => (typeof v === 'boolean' ? { name, flag: v } : { name, number: v })),
    };
    engine.handleReading('direct', r);
  };
  const open = () => store.listAlarms({ state: 'open', limit: 50 }).map((a) => `${a.ruleId}:${a.deviceId}:${a.caseSpec?.category ?? '-'}:${a.caseSpec?.priority ?? '-'}`);
  return { clock, send, open };
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('knocked over: an urgent fire-hydrant case at once', () => {
  const h = open();
  h.send('hyd-1', {});
  h.clock.advance(30_000);
  h.send('hyd-1', { knocked_over: true, tilt_deg: 80, flow_m3h: 80, pressure_mpa: 0.02 });
  assert.ok(h.open().includes('hydrant-knocked-over:hyd-1:fire-hydrant:urgent'), h.open().join());
});

test('opened without a dispatch key for 2 min → hydrant-misuse for the water utility; a fire draw raises nothing', () => {
  const h = open();
  h.send('thief', { valve_open: true, authorized: false, flow_m3h: 20 });
  h.send('brigade', { valve_open: true, authorized: true, flow_m3h: 35 });
  h.clock.advance(60_000);
  h.send('thief', { valve_open: true, authorized: false, flow_m3h: 20 });
  h.send('brigade', { valve_open: true, authorized: true, flow_m3h: 35 });
  assert.equal(h.open(), [], 'not yet: for 2m');
  h.clock.advance(61_000);
  h.send('thief', { valve_open: true, authorized: false, flow_m3h: 20 });
  h.send('brigade', { valve_open: true, authorized: true, flow_m3h: 35 });
  assert.equal(h.open(), ['hydrant-opened-without-dispatch:thief:hydrant-misuse:normal']);
});

test('pressure below 0.10 MPa for 10 minutes', () => {
  const h = open();
  h.send('hyd-2', { pressure_mpa: 0.08 });
  h.clock.advance(9 * 60_000);
  h.send('hyd-2', { pressure_mpa: 0.08 });
  assert.equal(h.open(), []);
  h.clock.advance(61_000);
  h.send('hyd-2', { pressure_mpa: 0.07 });
  assert.equal(h.open(), ['hydrant-pressure-low:hyd-2:fire-hydrant:high']);
});

test.run();

// A shortened month of 驻马店 (issue 17): two simulated days of the
// `city-month` scenario through the real stack on one simulated clock
// (3600×) — simulated street → edge agent → broker → ingest (real influxd)
// / rules → cases — with citizens (Open311), the 12345 hotline, inspectors
// and crews acting through the case HTTP API. The KPIs come from the audit
// trail alone and must fall in the bands a healthy city run gives; the
// monthly report's figures must equal the KPI API's. Then the stores refuse
// a wall-clock service (TZ_CLOCK_MISMATCH).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { startInfluxd, tempDir, type TestInfluxd } from './helpers.ts';
import { runCityMonth, type CityMonthResult } from '../../cli/city-month/month-run.ts';
import { claimInfluxClock, claimSqliteFileClock, isTzError, systemClock } from '../../service-kit/index.ts';

let influxd: TestInfluxd;
let dir: { path: string; remove(): void };
let result: CityMonthResult;
const database = 'tz_city_month_test';

test.before(async () => {
  influxd = await startInfluxd();
  dir = tempDir('tz-city-month-');
});

test.after(async () => {
  await influxd?.stop();
  dir?.remove();
});

test('two simulated days through the real stack: sensors, citizens, inspectors and crews close the loop', async () => {
  result = await runCityMonth({ varDir: join(dir.path, 'var'), days: 2, speed: 3600, seed: 17, devices: 80, influx: { url: influxd.url, database } });
  const { pipeline, people, kpis } = result;
  assert.ok(pipeline.readingsWritten > 2000, `readings written: ${pipeline.readingsWritten}`);
  assert.is(pipeline.readingsRejected, 0, 'readings stamped with city time are inside ingest\'s window');
  assert.ok((result.alarmsByRule['cover-open'] ?? 0) >= 1, `the lifted cover raised its alarm: ${JSON.stringify(result.alarmsByRule)}`);
  assert.ok(people.handled >= 3 && people.verified >= 2 && people.closed >= 2, `people: ${JSON.stringify(people)}`);
  assert.ok(kpis.counts.bySensor >= 3, `sensor cases: ${JSON.stringify(kpis.counts)}`);
  assert.ok(result.wallSeconds < 80, `two days at 3600× took ${result.wallSeconds} s`);
});

// Bands a two-day run lands in (the tail of the run is still open, so closure is below the month's).
const BANDS: Array<[keyof CityMonthResult['kpis'], number, number]> = [
  ['onTimeVerificationRate', 0.6, 1],
  ['closureRate', 0.4, 1],
  ['autoDiscoveryRate', 0.2, 1],
  ['sensorShare', 0.2, 1],
];
for (const [kpi, lo, hi] of BANDS) {
  test(`KPI ${kpi} from the audit trail is within [${lo}, ${hi}]`, () => {
    const value = result.kpis[kpi];
    assert.type(value, 'number', `${kpi}: ${JSON.stringify(result.kpis.counts)}`);
    assert.ok((value as number) >= lo && (value as number) <= hi, `${kpi} = ${String(value)}; counts ${JSON.stringify(result.kpis.counts)}`);
  });
}

test('the monthly report\'s figures equal the KPI API\'s over the same window', () => {
  assert.equal(result.report.overall, result.reportWindowKpis);
  assert.is(result.report.month, '2027-09');
  assert.ok(result.report.overall.counts.reported >= result.kpis.counts.reported);
});

test('the run\'s stores are marked simulated: a wall-clock service refuses them (TZ_CLOCK_MISMATCH)', async () => {
  for (const file of ['cases.sqlite', 'rules.sqlite']) {
    try {
      claimSqliteFileClock(join(dir.path, 'var', file), systemClock, file);
      assert.unreachable(`${file} opened on the wall clock`);
    } catch (err) {
      assert.ok(isTzError(err, 'TZ_CLOCK_MISMATCH'), String(err));
    }
  }
  try {
    await claimInfluxClock({ url: influxd.url, database }, systemClock);
    assert.unreachable('the simulated InfluxDB database opened on the wall clock');
  } catch (err) {
    assert.ok(isTzError(err, 'TZ_CLOCK_MISMATCH'), String(err));
  }
});

test.run();

// Scenarios through the whole pipeline: the simulated city under time
// compression → edge agent → broker → ingest (real influxd) → rules, started
// by the same startStack that `npm start` runs. Each scenario's own `expect`
// section is checked against GET /api/v1/alarms and /api/v1/cases.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { startInfluxd, tempDir, waitFor, type TestInfluxd } from './helpers.ts';
import { startStack } from '../../cli/stack.ts';
import { loadScenario, checkExpectations, writeCompressedProfiles, type ObservedAlarm, type ObservedCase } from '../../firmware-sim/index.ts';

let influxd: TestInfluxd;
let dir: { path: string; remove(): void };

test.before(async () => {
  influxd = await startInfluxd();
  dir = tempDir('tz-sim-scenario-');
});

test.after(async () => {
  await influxd?.stop();
  dir?.remove();
});

async function listOf<T>(url: string, key: string, token: string): Promise<T[]> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  // Any other answer (a 404 included) is a failure: the stack serves alarms and cases on the rules URL.
  assert.is(res.status, 200, `GET ${url}`);
  const body = (await res.json()) as Record<string, unknown>;
  const list = Array.isArray(body) ? body : body[key];
  assert.ok(Array.isArray(list), `GET ${url}: no "${key}" list in the answer`);
  return list as T[];
}

async function runThroughPipeline(name: string, speed: number): Promise<void> {
  const varDir = join(dir.path, name);
  // The pipeline stamps wall time, so rule windows are compressed like the street.
  const profileDir = writeCompressedProfiles(speed, join(varDir, 'profiles'));
  const stack = await startStack({
    varDir, devices: 40, seed: 7, gatewayId: `gw-${name}`, pollIntervalMs: 250, profileDir,
    influx: { url: influxd.url }, database: influxd.database, mqttPort: 0, statusPort: 0,
  });
  try {
    const run = stack.sim.runScenario(loadScenario(name, stack.profiles), { speed });
    // The rules API asks for a token; the stack makes an operator token for its run.
    const token = stack.operatorToken;
    const districtOf = new Map(stack.sim.devices.map((d) => [d.deviceId, d.district]));
    let problems: string[] = [];
    const observed = await waitFor(`${name}: the alarms and cases it states`, async () => {
      const alarms = await listOf<ObservedAlarm & { state: string }>(`${stack.urls.rules}/api/v1/alarms?limit=1000`, 'alarms', token);
      // The rules service hosts the case API too; a case names its device as the asset.
      const cases = (await listOf<ObservedCase & { assetId?: string }>(`${stack.urls.rules}/api/v1/cases?limit=1000`, 'cases', token)).map((c) => ({ ...c, deviceId: c.assetId ?? c.deviceId }));
      problems = checkExpectations(run.expectations, { alarms, cases }, (id) => districtOf.get(id));
      return problems.length === 0 ? { alarms, cases } : undefined;
    }, 35_000, 500).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\nstill missing:\n${problems.join('\n')}`);
    });
    for (const a of observed.alarms) assert.type(a.state, 'string');
    assert.ok(stack.sim.scenario()!.applied > 0);
    assert.is(stack.counters().readingsRejected, 0, 'the city sends only valid readings, even in a storm');
  } finally {
    await stack.stop();
  }
}

test('vandalism-spree: lifted and hit covers, smashed lamps, stolen paper, a broken charger become their alarms and cases', async () => {
  await runThroughPipeline('vandalism-spree', 240);
});

test('district-outage: poles report the lost supply, pressure falls, no lamp-failure storm and no cases', async () => {
  await runThroughPipeline('district-outage', 480);
});

test.run();

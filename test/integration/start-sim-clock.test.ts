// `npm start -- --sim-clock <spec>` (and TZ_SIM_CLOCK) as a person runs it:
// the launcher in its own process, a managed influxd under --var. The whole
// stack reads one simulated clock (readings in InfluxDB carry city time, the
// console's config reports it, rules and cases mark their stores simulated),
// and a --var made by a wall-clock run is refused with plain lines saying
// what to do.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { claimSqliteFileClock, isTzError, queryInfluxQL, systemClock } from '../../service-kit/index.ts';
import { REPO_ROOT, tempDir, waitFor } from './helpers.ts';

const dir = tempDir('tz-start-sim-');
const CITY_START = Date.parse('2027-03-01T08:00:00+08:00');
const SPEED = 60;

interface Started {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** `tianzhong start` on a few devices; INFLUX_URL unset, so it runs its own influxd under --var. */
function start(varDir: string, extraArgs: string[], env: Record<string, string> = {}): Started {
  const base = { ...process.env };
  delete base.INFLUX_URL;
  delete base.TZ_SIM_CLOCK;
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'tianzhong.js'), 'start', '--var', varDir, '--devices', '8', '--poll', '500', '--fault-after', '0', ...extraArgs], {
    cwd: dir.path, env: { ...base, TZ_LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => text, exited };
}

/** The banner's value after `label` (e.g. "operator token"). */
function bannerValue(stderr: string, label: string): string {
  const line = stderr.split('\n').find((l) => l.trimStart().startsWith(label));
  const value = line?.trimStart().slice(label.length).trim().split(/\s+/)[0];
  if (!value) throw new Error(`no "${label}" in the banner:\n${stderr}`);
  return value;
}

/** The banner is out and the pipeline stores readings (a stop in the first instants waits on the registry centre's first config push). */
async function running(s: Started): Promise<void> {
  await waitFor('the banner', () => (s.stderr().includes('Tianzhong is running') ? true : undefined), 120_000, 100)
    .catch((err: unknown) => { throw new Error(`${String(err)}\n${s.stderr()}`); });
  const status = bannerValue(s.stderr(), 'pipeline');
  await waitFor('readings stored', async () => {
    const body = (await (await fetch(status)).json()) as { counters?: { readingsWritten?: number } };
    return (body.counters?.readingsWritten ?? 0) > 0 ? true : undefined;
  }, 60_000, 250);
}

async function stop(s: Started): Promise<number | null> {
  s.child.kill('SIGINT');
  return s.exited;
}

test.after(() => dir.remove());

test('a --var made by a wall-clock run: --sim-clock refuses it with a line saying to use a fresh --var', async () => {
  const varDir = join(dir.path, 'var-wall');
  const wall = start(varDir, []);
  await running(wall);
  assert.not.match(wall.stderr(), /simulated/, 'a wall-clock run says nothing of a simulated clock');
  assert.is(await stop(wall), 0);

  const refused = start(varDir, ['--sim-clock', '2027-03-01T08:00@60']);
  const code = await refused.exited;
  assert.is(code, 1, refused.stderr());
  assert.match(refused.stderr(), /--var/);
  assert.match(refused.stderr(), /新的 --var 文件夹/);
  assert.match(refused.stderr(), /made by a wall-clock run/);
  assert.not.match(refused.stderr(), /Tianzhong is running/);
  assert.not.match(refused.stderr(), /unexpected error|\n\s+at /, 'a plain line, no stack trace');
});

test('TZ_SIM_CLOCK: sim, agent, ingest, rules, cases and the console read one city time; the stores are marked simulated', async () => {
  const varDir = join(dir.path, 'var-sim');
  const sim = start(varDir, [], { TZ_SIM_CLOCK: `2027-03-01T08:00@${SPEED}` });
  await running(sim);
  try {
    const err = sim.stderr();
    assert.match(err, /模拟时钟 simulated: city time 2027-03-01 08:0\d:\d\d \(Asia\/Shanghai\), 60× wall time/);
    assert.match(err, /TZ_SIM_CLOCK=2027-03-01T00:00:00\.000Z@60@\d+/, 'the anchored spec other processes of the run can share');
    const influxUrl = bannerValue(err, 'InfluxDB');
    const rulesUrl = bannerValue(err, 'rules + API').replace(/\/api\/v1\/alarms$/, '');
    const token = bannerValue(err, 'operator token');

    // Readings carry city time: 2027, not the machine's date.
    const newest = await waitFor('readings in InfluxDB', async () => {
      const series = await queryInfluxQL({ url: influxUrl, database: 'tianzhong' }, 'SELECT last("seq") FROM /.*/');
      const times = series.map((s) => Number(s.values[0]?.[0] ?? 0)).filter((t) => t > 0);
      return times.length > 0 ? Math.max(...times) : undefined;
    }, 60_000, 250);
    assert.ok(newest >= CITY_START && newest < CITY_START + 6 * 3_600_000, `newest reading at ${new Date(newest).toISOString()}`);

    // The console's clock is the service's: city time, at the run's speed.
    const res = await fetch(`${rulesUrl}/console/api/config`, { headers: { authorization: `Bearer ${token}` } });
    assert.is(res.status, 200);
    const config = (await res.json()) as { clock: { now: number; speed: number } | null };
    assert.ok(config.clock, 'the console is told the city clock');
    assert.is(config.clock.speed, SPEED);
    assert.ok(config.clock.now >= CITY_START && config.clock.now < CITY_START + 6 * 3_600_000, `console now ${new Date(config.clock.now).toISOString()}`);
  } finally {
    assert.is(await stop(sim), 0, sim.stderr());
  }
  // The run's rules and case stores are marked simulated: a wall-clock service never opens them.
  for (const file of ['rules.sqlite', 'cases.sqlite']) {
    try {
      claimSqliteFileClock(join(varDir, file), systemClock, file);
      assert.unreachable(`${file} opened on the wall clock`);
    } catch (err) {
      assert.ok(isTzError(err, 'TZ_CLOCK_MISMATCH'), String(err));
    }
  }
});

test.run();

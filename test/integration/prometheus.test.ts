// Every /metrics of the `npm start` stack passes Prometheus' own linter
// (`promtool check metrics`), and a real Prometheus scrapes the whole stack
// with the scrape configuration the stack writes (var/prometheus.yml).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort, startInfluxd, tempDir, waitFor, type TestInfluxd } from './helpers.ts';
import { startStack, type RunningStack } from '../../cli/stack.ts';
import { prometheusScrapeConfig } from '../../cli/prometheus-config.ts';

let influxd: TestInfluxd;
let dir: { path: string; remove(): void };
let stack: RunningStack;
let prometheus: ChildProcess | undefined;

test.before(async () => {
  influxd = await startInfluxd();
  dir = tempDir('tz-prometheus-');
  stack = await startStack({
    varDir: join(dir.path, 'var'), devices: 20, seed: 3, gatewayId: 'gw-prom', pollIntervalMs: 500,
    influx: { url: influxd.url }, database: influxd.database, mqttPort: 0, statusPort: 0,
  });
});

test.after(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
    prometheus.kill('SIGTERM');
    await exited;
  }
  await stack?.stop();
  await influxd?.stop();
  dir?.remove();
});

function components(): Record<string, string> {
  const { broker, ingest, rules, edgeAgent, status } = stack.urls;
  return { broker, ingest, rules, 'edge-agent': edgeAgent, stack: status };
}

test('every component /metrics passes promtool check metrics', async () => {
  // Let every component count something first (readings polled, written, evaluated).
  await waitFor('readings written', () => (stack.counters().readingsWritten > 20 ? true : undefined), 30_000);
  for (const [name, url] of Object.entries(components())) {
    const res = await fetch(`${url}/metrics`);
    assert.is(res.status, 200, name);
    const text = await res.text();
    assert.match(text, /^# HELP tz_/m, `${name} exports tz_ metrics`);
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.is(lint.status, 0, `${name}: promtool check metrics:\n${lint.stdout}${lint.stderr}`);
  }
});

test('the stack writes a valid scrape configuration, and a real Prometheus scrapes every component with it', async () => {
  const written = readFileSync(stack.prometheusConfig, 'utf8');
  for (const name of Object.keys(components())) assert.match(written, new RegExp(`job_name: tianzhong-${name}\\n`));
  const checked = spawnSync('promtool', ['check', 'config', stack.prometheusConfig], { encoding: 'utf8' });
  assert.is(checked.status, 0, `promtool check config:\n${checked.stdout}${checked.stderr}`);

  // The same generator with a 1 s interval, so the test does not wait 15 s per scrape.
  const config = join(dir.path, 'prometheus-fast.yml');
  writeFileSync(config, prometheusScrapeConfig(components(), 1));
  const port = await freePort();
  prometheus = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir.path, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const api = `http://127.0.0.1:${port}/api/v1`;
  type Target = { labels: { job: string }; health: string; lastError: string };
  const targets = await waitFor('Prometheus sees every target up', async () => {
    const res = await fetch(`${api}/targets`).catch(() => null);
    if (!res?.ok) return undefined;
    const active = ((await res.json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
    return active.length === Object.keys(components()).length && active.every((t) => t.health === 'up') ? active : undefined;
  }, 45_000, 500);
  assert.equal(targets.map((t) => t.labels.job).sort(), Object.keys(components()).map((n) => `tianzhong-${n}`).sort());

  const series = await waitFor('tz_ series stored by Prometheus', async () => {
    const res = await fetch(`${api}/query?query=${encodeURIComponent('count by (job) ({__name__=~"tz_.+"})')}`);
    const result = ((await res.json()) as { data: { result: Array<{ metric: { job: string } }> } }).data.result;
    return result.length === Object.keys(components()).length ? result : undefined;
  }, 20_000, 500);
  assert.is(series.length, Object.keys(components()).length, 'tz_ series from every component');
});

test.run();

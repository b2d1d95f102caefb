// `tianzhong devices|assets|gateways` as a person uses them: real processes on
// a registry file, exit codes, what they print.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = join(import.meta.dirname, '..', '..', 'bin', 'tianzhong.js');
const dir = mkdtempSync(join(tmpdir(), 'tz-registry-cli-'));
const db = join(dir, 'registry.sqlite');

function run(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args, '--db', db], { cwd: dir, env: { ...process.env, TZ_LOG_LEVEL: 'silent', TZ_REGISTRY_KEY: '', TZ_REGISTRY_KEY_FILE: '', ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('import: a problem applies nothing (exit 1); --apply-valid applies the rest (exit 2); then list, set, show, retire, export', () => {
  const file = join(dir, 'devices.csv');
  writeFileSync(file, 'id,class,gatewayId,transport,host,lat,lon,crs\nmh-1,manhole-cover,gw-01,modbus-tcp,10.0.0.1,32.98,114.02,gcj02\nmh-2,lamp,gw-01,modbus-tcp,10.0.0.2,,,\n');
  let r = run(['devices', 'import', file]);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stdout, 'devices: 2 rows, 1 valid, 1 with problems — nothing applied');
  assert.match(r.stdout, 'row 3, class: no device profile "lamp"');
  assert.match(r.stdout, '--apply-valid');
  assert.match(r.stderr, 'checking: 2/2 rows', 'plain progress lines when not on a terminal');
  r = run(['devices', 'import', file, '--apply-valid', '--json']);
  assert.is(r.code, 2, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { created: number }).created, 1);
  r = run(['devices', 'list']);
  assert.is(r.stdout, 'mh-1\tmanhole-cover\tgw-01\tplanned\tmodbus-tcp\t-\t-\n');
  r = run(['devices', 'set', 'mh-1', 'state=installed', 'district=yicheng', '--by', 'lead']);
  assert.is(r.code, 0, r.stderr);
  r = run(['devices', 'set', 'mh-1', 'state=planned']);
  assert.is(r.code, 1);
  assert.match(r.stderr, 'tianzhong: device mh-1: cannot go from installed to planned (from installed: active, maintenance, retired)');
  r = run(['devices', 'set', 'mh-1', 'port=99999']);
  assert.match(r.stderr, /fix these and try again:\n {2}port: above 65535/);
  r = run(['devices', 'show', 'mh-1', '--json']);
  const shown = JSON.parse(r.stdout) as { district: string; history: Array<{ to: string; by: string }> };
  assert.is(shown.district, 'yicheng');
  assert.equal(shown.history.map((h) => `${h.to}/${h.by}`).slice(1), ['installed/lead']);
  r = run(['devices', 'retire', 'mh-1', '--note', 'replaced']);
  assert.is(r.stdout, 'device mh-1 retired\n');
  const out = join(dir, 'out.geojson');
  r = run(['devices', 'export', '--format', 'geojson', '--out', out]);
  assert.is(r.code, 0, r.stderr);
  assert.is((JSON.parse(readFileSync(out, 'utf8')) as { features: unknown[] }).features.length, 1);
});

test('errors say what to do: no registry file, unknown id, accept of a registered device, LoRa keys without a key', () => {
  const r = spawnSync(process.execPath, [cli, 'devices', 'list', '--db', join(dir, 'none.sqlite')], { encoding: 'utf8', env: { ...process.env, TZ_LOG_LEVEL: 'silent' } });
  assert.match(r.stderr, 'no registry at');
  assert.match(r.stderr, 'tianzhong devices import');
  let s = run(['devices', 'show', 'ghost']);
  assert.match(s.stderr, 'no device "ghost"');
  s = run(['devices', 'accept', 'mh-1']);
  assert.match(s.stderr, 'is retired, not discovered');
  const lora = join(dir, 'lora.csv');
  writeFileSync(lora, 'id,class,gatewayId,transport,devEui,devAddr,nwkSKey,appSKey\nwm-1,water-meter,gw-01,lorawan,70B3D57ED0000001,26011F01,2B7E151628AED2A6ABF7158809CF4F3C,000102030405060708090A0B0C0D0E0F\n');
  s = run(['devices', 'import', lora]);
  assert.match(s.stdout, 'row 2, nwkSKey: LoRa keys cannot be stored without a registry key: set TZ_REGISTRY_KEY');
  s = run(['devices', 'import', lora], { TZ_REGISTRY_KEY: 'ab'.repeat(32) });
  assert.is(s.code, 0, s.stdout + s.stderr);
  assert.not.match(run(['devices', 'show', 'wm-1', '--json']).stdout, '2B7E1516');
});

test.run();

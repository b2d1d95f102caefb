// The CLI as a person uses it: real processes, exit codes, what they print.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_PROFILE_DIR } from '../../device-profiles/index.ts';

// The installed launcher (bin/tianzhong.js), run from a folder outside the repo.
const cli = join(import.meta.dirname, '..', '..', 'bin', 'tianzhong.js');
const dir = mkdtempSync(join(tmpdir(), 'tz-cli-'));

function run(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, env: { ...process.env, TZ_LOG_LEVEL: 'silent', ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('start refuses a broken profile folder before anything runs, naming file, path and problem', () => {
  const profiles = join(dir, 'profiles');
  spawnSync('mkdir', ['-p', profiles]);
  copyFileSync(join(BUILTIN_PROFILE_DIR, 'manhole-cover.yaml'), join(profiles, 'manhole-cover.yaml'));
  writeFileSync(join(profiles, 'hydrant.yaml'), 'class: hydrant\nversion: 1\ntitle: Hydrant\nmeasurement: hydrant\nreportIntervalSeconds: 0\nmetrics: []\n');
  const r = run(['--profiles', profiles, 'start', '--var', join(dir, 'var')]);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /TZ_PROFILE_INVALID/);
  assert.match(r.stderr, /hydrant\.yaml: reportIntervalSeconds:/);
  assert.match(r.stderr, /hydrant\.yaml: metrics:/);
  assert.not.match(r.stderr, /managed influxd started|Tianzhong is running/);
});

test('broker users: add, list, remove; the file holds hashes, never the password', () => {
  const users = join(dir, 'users.json');
  const password = 'correct-horse-battery-staple';
  let r = run(['broker', 'users', 'add', 'gw-0042', '--role', 'gateway', '--users', users], { TZ_NEW_PASSWORD: password });
  assert.is(r.code, 0, r.stderr);
  r = run(['broker', 'users', 'add', 'tz-ingest', '--role', 'service', '--users', users]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /password \(shown once\): \S{12,}/);
  const file = readFileSync(users, 'utf8');
  assert.not.ok(file.includes(password), 'plain password at rest');
  assert.match(file, /scrypt\$/);
  r = run(['broker', 'users', 'list', '--json', '--users', users]);
  assert.equal(JSON.parse(r.stdout).map((u: { username: string; role: string }) => [u.username, u.role]), [['gw-0042', 'gateway'], ['tz-ingest', 'service']]);
  r = run(['broker', 'users', 'remove', 'gw-0042', '--users', users]);
  assert.is(r.code, 0, r.stderr);
  r = run(['broker', 'users', 'remove', 'gw-0042', '--users', users]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /no user "gw-0042".*broker users list/);
});

test('errors say what to do', () => {
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [['broker', 'users', 'add', 'x1', '--role', 'admin', '--users', join(dir, 'u2.json')], {}, /--role must be gateway or service/],
    [['broker', '--users', join(dir, 'none.json'), '--port', '0', '--http-port', '0'], {}, /no users in .*tianzhong broker users add/],
    [['ingest', '--influx-url', ''], { INFLUX_URL: '' }, /pass --influx-url or set INFLUX_URL/],
    [['rules', '--db', join(dir, 'r.sqlite')], { TZ_MQTT_PASSWORD: '' }, /set the environment variable TZ_MQTT_PASSWORD/],
    [['start', '--devices', '2'], {}, /expected a whole number from 4/],
    [['start', '--sim-clock', 'tomorrow', '--var', join(dir, 'var-bad-clock')], {}, /use <start>@<speed>\[@<wallAnchorMs>\]/],
  ];
  for (const [args, env, expected] of cases) {
    const r = run(args, env);
    assert.is(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, expected, args.join(' '));
  }
});

test.run();

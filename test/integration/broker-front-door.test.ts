// The broker's front door, tried from outside as an attacker would: raw MQTT
// CONNECT packets over TCP (mqtt-packet, no client library smoothing things
// over), many at once where that is the point. The lockout clock is injected.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import mqttPacket from 'mqtt-packet';
import type { MqttClient } from 'mqtt';
import { BrokerUsers, hashPassword, startBroker, type RunningBroker } from '../../broker/index.ts';
import { checkConfigGrants } from '../../broker/grants.ts';
import { ManualClock } from '../../service-kit/index.ts';
import { connectMqtt, counter, tempDir, waitFor } from './helpers.ts';

const PASSWORDS: Record<string, string> = { 'gw-0001': 'gw-0001-secret-pass', 'gw-0002': 'gw-0002-secret-pass', 'tz-ingest': 'ingest-secret-pass' };
const clients: MqttClient[] = [];

function users(): BrokerUsers {
  const u = BrokerUsers.inMemory();
  for (const [name, password] of Object.entries(PASSWORDS)) u.add(name, password, name.startsWith('gw-') ? 'gateway' : 'ingest');
  return u;
}

interface RawConnect { clientId: string; username?: string; password?: string; clean?: boolean }

/** One raw TCP connection sending one CONNECT; resolves with the CONNACK return code, or 'closed' if the broker hung up without one. */
function rawConnect(broker: RunningBroker, c: RawConnect): Promise<number | 'closed'> {
  const url = new URL(broker.mqttUrl);
  return new Promise((resolve) => {
    const socket = netConnect(Number(url.port), url.hostname);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    let answered = false;
    const finish = (result: number | 'closed') => {
      if (answered) return;
      answered = true;
      socket.destroy();
      resolve(result);
    };
    parser.on('packet', (packet) => {
      if (packet.cmd === 'connack') finish(packet.returnCode ?? -1);
    });
    socket.on('data', (chunk) => parser.parse(chunk));
    socket.on('error', () => finish('closed'));
    socket.on('close', () => finish('closed'));
    socket.setTimeout(10_000, () => finish('closed'));
    socket.on('connect', () => {
      const bytes = mqttPacket.generate({
        cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 0, clientId: c.clientId,
        ...(c.username !== undefined ? { username: c.username } : {}),
        ...(c.password !== undefined ? { password: Buffer.from(c.password) } : {}),
      });
      // mqtt-packet refuses to write an empty client id with CleanSession=0; an attacker's bytes need not be polite.
      if (c.clean === false) {
        let at = 1;
        while ((bytes[at]! & 0x80) !== 0) at += 1; // remaining-length varint
        const flags = at + 1 + 2 + 4 + 1; // protocol name "MQTT" (length-prefixed), protocol level
        bytes[flags] = bytes[flags]! & ~0x02; // §3.1.2.4 CleanSession bit
      }
      socket.write(bytes);
    });
  });
}

const metricValue = (text: string, name: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
};

/** The QoS the broker granted for one filter; 128 = refused (mqtt.js reports that as an error carrying the SUBACK). */
async function grantedQos(c: MqttClient, filter: string): Promise<number> {
  try {
    const granted = await c.subscribeAsync(filter, { qos: 1 });
    return granted[0]?.qos ?? -1;
  } catch (err) {
    return (err as { packet?: { granted?: number[] } }).packet?.granted?.[0] ?? -1;
  }
}

test.after(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
});

test('100 simultaneous wrong CONNECTs from one address: at most maxFailures password hashes, the rest refused unchecked', async () => {
  const maxFailures = 5;
  const broker = await startBroker({ users: users(), port: 0, loginThrottle: { maxFailures, windowMs: 60_000, lockoutMs: 30_000, maxLockoutMs: 120_000 } });
  try {
    // Every guess for a different account and client id: only the address ties them together.
    const codes = await Promise.all(Array.from({ length: 100 }, (_, i) => rawConnect(broker, { clientId: `gw-guess-${i}`, username: `gw-guess-${i}`, password: 'wrong-password-xx' })));
    const bad = codes.filter((c) => c === 4).length;
    const refused = codes.filter((c) => c === 5).length;
    assert.is(bad + refused, 100, `every attempt gets a CONNACK refusal, got ${JSON.stringify(codes)}`);
    assert.ok(bad <= maxFailures, `at most ${maxFailures} passwords checked, ${bad} were`);
    const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
    const hashes = metricValue(metrics, 'tz_broker_password_checks_total');
    assert.ok(hashes >= 1 && hashes <= maxFailures, `scrypt hashes ${hashes} must be 1..${maxFailures}`);
    assert.is(counter(broker.stats(), 'passwordChecks'), hashes);
    assert.ok(counter(broker.stats(), 'throttledLogins') >= 100 - maxFailures);
    // Refused unchecked: while the first checks run (in flight), or after they failed (locked) — a slow machine spreads the CONNECTs out.
    const unchecked = [...metrics.matchAll(/tz_broker_auth_failures_total\{[^}]*reason="throttled(?:-in-flight)?"[^}]*\} (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    assert.ok(unchecked >= 100 - maxFailures, `refused unchecked: ${unchecked}`);
    assert.match(metrics, /reason="throttled-in-flight"/);

    // One account guessed 100 times at once (the same client): the same bound.
    const before = counter(broker.stats(), 'passwordChecks');
    const again = await Promise.all(Array.from({ length: 100 }, () => rawConnect(broker, { clientId: 'gw-0002', username: 'gw-0002', password: 'wrong-password-xx' })));
    assert.ok(again.every((c) => c === 4 || c === 5));
    assert.ok(counter(broker.stats(), 'passwordChecks') - before <= maxFailures, `a second burst hashed ${counter(broker.stats(), 'passwordChecks') - before}`);
  } finally {
    await broker.stop();
  }
});

test('a misconfigured gateway behind one NAT does not lock its neighbour out for longer and longer; its own lockout escalates', async () => {
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  const lockoutMs = 30_000;
  const broker = await startBroker({ users: users(), port: 0, clock, loginThrottle: { maxFailures: 3, windowMs: 60_000, lockoutMs, maxLockoutMs: 15 * 60_000 } });
  const bad = () => rawConnect(broker, { clientId: 'gw-0002', username: 'gw-0002', password: 'an-old-password-x' });
  const neighbour = () => rawConnect(broker, { clientId: 'gw-0001', username: 'gw-0001', password: PASSWORDS['gw-0001']! });
  try {
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 3; i++) assert.is(await bad(), 4, `round ${round}: the misconfigured gateway's password is checked`);
      assert.is(await bad(), 5, `round ${round}: then it is locked out`);
      assert.is(await neighbour(), 5, `round ${round}: the shared address is locked for a while too`);
      clock.advance(lockoutMs + 1);
      // The address's lockout does not double: the neighbour's success each round resets it.
      assert.is(await neighbour(), 0, `round ${round}: after ${lockoutMs} ms the neighbour logs in`);
      const ownLockout = lockoutMs * 2 ** round;
      if (round > 0) assert.is(await bad(), 5, `round ${round}: the misconfigured gateway's own lockout has doubled (${ownLockout} ms)`);
      clock.advance(ownLockout - lockoutMs);
    }
    const checks = counter(broker.stats(), 'passwordChecks');
    assert.is(checks, 4 * 3 + 4, 'locked attempts never reached scrypt');
  } finally {
    await broker.stop();
  }
});

test('MQTT-3.1.3-8: a zero-byte client id with CleanSession=0 gets CONNACK 0x02; with CleanSession=1 it is accepted', async () => {
  const broker = await startBroker({ users: users(), port: 0 });
  try {
    assert.is(await rawConnect(broker, { clientId: '', clean: false, username: 'tz-ingest', password: PASSWORDS['tz-ingest']! }), 2);
    assert.is(await rawConnect(broker, { clientId: '', clean: false }), 2, 'also before any credentials are looked at');
    assert.is(await rawConnect(broker, { clientId: '', clean: true, username: 'tz-ingest', password: PASSWORDS['tz-ingest']! }), 0);
    assert.is(counter(broker.stats(), 'passwordChecks'), 1, 'the refused ones cost no hash');
    const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
    assert.match(metrics, /tz_broker_auth_failures_total\{[^}]*reason="empty-client-id-persistent"[^}]*\} 2/);
  } finally {
    await broker.stop();
  }
});

function writeUsers(file: string, records: Array<{ username: string; role: string; grants?: unknown }>): void {
  const hash = hashPassword('granted-secret-pass');
  writeFileSync(file, JSON.stringify({ version: 1, users: records.map((r) => ({ ...r, passwordHash: hash, createdAt: '2026-01-01T00:00:00Z' })) }));
}

test('grants allow exactly what they say: users-file and broker-config grants, deny by default around them', async () => {
  const dir = tempDir();
  const file = join(dir.path, 'users.json');
  writeUsers(file, [
    { username: 'gw-0001', role: 'gateway', grants: [{ publish: 'tz/v1/x/gw-0001/#' }, { subscribe: 'tz/v1/x/public/+' }] },
    { username: 'tz-ingest', role: 'ingest' },
  ]);
  const broker = await startBroker({ users: BrokerUsers.load(file), port: 0, watchUsersFile: false, grants: { 'tz-ingest': [{ subscribe: 'tz/v1/x/#' }, { publish: 'tz/v1/x/public/notice' }] } });
  try {
    const login = (id: string) => connectMqtt(broker.mqttUrl, { clientId: id, username: id, password: 'granted-secret-pass' }, clients);
    const watcher = await login('tz-ingest');
    const got: string[] = [];
    watcher.on('message', (topic) => got.push(topic));
    assert.is(await grantedQos(watcher, 'tz/v1/x/#'), 1, 'config grant: tz-ingest may subscribe tz/v1/x/#');
    assert.is(await grantedQos(watcher, 'tz/v1/y/#'), 128, 'nothing beyond the grant');

    const gw = await login('gw-0001');
    const filters = ['tz/v1/x/public/+', '$share/g/tz/v1/x/public/+', 'tz/v1/x/public/#', 'tz/v1/x/#', '#', '$SYS/#'];
    const granted: number[] = [];
    for (const f of filters) granted.push(await grantedQos(gw, f));
    assert.equal(granted, [1, 1, 128, 128, 128, 128], 'the grant and its $share form; nothing wider');
    const deniedBefore = counter(broker.stats(), 'deniedPublishes');
    await gw.publishAsync('tz/v1/x/gw-0001/a/b', 'granted', { qos: 1 });
    await gw.publishAsync('tz/v1/x/gw-0002/a', 'not granted', { qos: 1 });
    await gw.publishAsync('tz/v1/x/public/notice', 'not granted to the gateway', { qos: 1 });
    await watcher.publishAsync('tz/v1/x/public/notice', 'granted to ingest', { qos: 1 });
    await waitFor('granted messages delivered', () => (got.length >= 2 ? true : undefined), 5_000, 20);
    assert.equal(got.sort(), ['tz/v1/x/gw-0001/a/b', 'tz/v1/x/public/notice']);
    assert.is(counter(broker.stats(), 'deniedPublishes') - deniedBefore, 2, 'the two ungranted publishes were refused and counted');
  } finally {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await broker.stop();
    dir.remove();
  }
});

test('grants are validated: $SYS, first-level wildcards, foreign gateway branches, unknown accounts — errors name file and path', () => {
  const dir = tempDir();
  const file = join(dir.path, 'users.json');
  try {
    const cases: Array<[unknown, RegExp | null]> = [
      [[{ subscribe: '$SYS/#' }], /users\.0\.grants\.0\.subscribe: \$-topics/],
      [[{ subscribe: '#' }], /users\.0\.grants\.0\.subscribe: a wildcard in the first level/],
      [[{ publish: '+/v1/x' }], /users\.0\.grants\.0\.publish: a wildcard in the first level/],
      [[{ publish: 'tz/v1/a#' }], /'#' must be a whole level/],
      [[{ publish: 'tz/v1/x', subscribe: 'tz/v1/x' }], /users\.0\.grants\.0: a grant names exactly one/],
      [[{ subscribe: 'tz/v1/gw/+/down/#' }], /users\.0\.grants\.0\.subscribe: .*another gateway's branch/],
      [[{ publish: 'tz/v1/gw/gw-0009/up/batch' }], /another gateway's branch/],
      [[{ subscribe: 'tz/v1/#' }], /another gateway's branch/],
      [[{ subscribe: 'tz/v1/gw/+/down/#', allowForeignBranch: true }], null],
      [[{ publish: 'tz/v1/gw/gw-0001/down/x' }, { subscribe: 'tz/v1/other/#' }], null],
    ];
    for (const [grants, expected] of cases) {
      writeUsers(file, [{ username: 'gw-0001', role: 'gateway', grants }]);
      if (expected === null) {
        BrokerUsers.load(file);
        continue;
      }
      assert.throws(() => BrokerUsers.load(file), (err: Error) => err.message.includes(file) && expected.test(err.message), JSON.stringify(grants));
    }
    // An ingest account may read the whole gateway tree by grant; the check is for gateway accounts.
    writeUsers(file, [{ username: 'tz-ingest', role: 'ingest', grants: [{ subscribe: 'tz/v1/gw/+/down/#' }] }]);
    const store = BrokerUsers.load(file);
    assert.throws(() => checkConfigGrants({ 'gw-nobody': [{ publish: 'tz/v1/x' }] }, (u) => store.find(u)?.role, 'broker.yaml'), /broker\.yaml: grants\.gw-nobody: no such account/);
    store.add('gw-0003', 'gw-0003-secret-pass', 'gateway');
    assert.throws(() => checkConfigGrants({ 'gw-0003': [{ subscribe: 'tz/v1/gw/gw-0001/#' }] }, (u) => store.find(u)?.role, 'broker.yaml'), /broker\.yaml: grants\.gw-0003\.0\.subscribe: .*another gateway's branch/);
  } finally {
    dir.remove();
  }
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import { encodeGatewayConfig, gatewayConfigContentHash, type IGatewayConfig } from '../../proto/index.ts';
import { ManualClock, createLogger, isTzError } from '../../service-kit/index.ts';
import { parseEdgeAgentConfig, type EdgeAgentConfig } from '../config.ts';
import { openGatewayDatabase } from '../gateway-database.ts';
import { RemoteGatewayConfig, mergeGatewayConfig } from '../remote-config.ts';

const bootstrap = parseEdgeAgentConfig({
  gatewayId: 'gw-1', brokerUrl: 'mqtt://127.0.0.1:1883', username: 'gw-1', password: 'pw', dataDir: '/tmp/x', pollIntervalMs: 5000,
  serialLines: [{ name: 'rs485-1', path: '/dev/ttyUSB0' }], report: { deadbands: { voltage_v: 2 } },
}, 'gw.yaml');

function pushed(version: number, devices: IGatewayConfig['devices'], extra: Partial<IGatewayConfig> = {}): Buffer {
  const content = { gatewayId: 'gw-1', devices, pollIntervalMs: 0, deadbands: {}, ...extra };
  return Buffer.from(encodeGatewayConfig({ ...content, version, issuedAtMs: 1, contentHash: gatewayConfigContentHash(content), ...(extra.contentHash ? { contentHash: extra.contentHash } : {}) }));
}
const pole = (id: string, port: number, pollIntervalMs = 0) => ({ deviceId: id, profile: 'smart-pole', district: 'yicheng', modbusTcp: { host: '127.0.0.1', port, unitId: 1 }, pollIntervalMs });

function setup() {
  const db = openGatewayDatabase(':memory:');
  const applied: EdgeAgentConfig[] = [];
  let changed = 0;
  let failNext: string | null = null;
  const opts = {
    gatewayId: 'gw-1', db, registry: new Registry(), log: createLogger('test', 'silent'), clock: new ManualClock(1000),
    bootstrap: () => bootstrap,
    apply: async (c: EdgeAgentConfig) => {
      if (failNext) throw new Error(failNext);
      applied.push(c);
    },
    onChanged: () => void changed++,
  };
  const remote = new RemoteGatewayConfig(opts);
  return { db, remote, applied, opts, changes: () => changed, failWith: (m: string | null) => void (failNext = m) };
}

test('merge: the pushed list replaces the YAML devices; intervals and deadbands layered over the bootstrap', () => {
  const { remote: _r } = setup();
  const config = mergeGatewayConfig(bootstrap, { gatewayId: 'gw-1', version: 3, devices: [pole('sp-1', 1502, 750), { deviceId: 'mh-1', profile: 'manhole-cover', district: 'y', modbusRtu: { line: 'rs485-1', unitId: 4 }, deadbands: { tilt_deg: 0.5 }, maxIntervalS: 60 }], pollIntervalMs: 2000, deadbands: { noise_db: 1 } } as never);
  assert.is(config.devices.length, 2);
  assert.is(config.devices[0]!.pollIntervalMs, 750);
  assert.equal(config.devices[1]!.modbus, { line: 'rs485-1', unitId: 4 });
  assert.equal(config.devices[1]!.report, { deadbands: { tilt_deg: 0.5 }, maxIntervalS: 60 });
  assert.is(config.pollIntervalMs, 2000);
  assert.equal(config.report.deadbands, { voltage_v: 2, noise_db: 1 });
  assert.is(config.brokerUrl, bootstrap.brokerUrl);
});

test('scenarios: applied, duplicate, stale, refused (with reason), the running version kept', async () => {
  const { remote, applied, changes, failWith } = setup();
  const table: Array<{ what: string; payload: Buffer; fail?: string; version: number; rejected: number; reason: RegExp | null; applies: number }> = [
    { what: 'first config', payload: pushed(1, [pole('sp-1', 1502)]), version: 1, rejected: 0, reason: null, applies: 1 },
    { what: 'same again (retained redelivery)', payload: pushed(1, [pole('sp-1', 1502)]), version: 1, rejected: 0, reason: null, applies: 1 },
    { what: 'a newer one', payload: pushed(2, [pole('sp-1', 1502), pole('sp-2', 1503)]), version: 2, rejected: 0, reason: null, applies: 2 },
    { what: 'older than running', payload: pushed(1, [pole('sp-9', 1502)]), version: 2, rejected: 0, reason: null, applies: 2 },
    { what: 'unknown serial line', payload: pushed(3, [{ deviceId: 'mh-1', profile: 'manhole-cover', district: 'y', modbusRtu: { line: 'rs485-9', unitId: 4 } }]), version: 2, rejected: 3, reason: /unknown serial line "rs485-9"/, applies: 2 },
    { what: 'duplicate device ids', payload: pushed(4, [pole('sp-1', 1502), pole('sp-1', 1503)]), version: 2, rejected: 4, reason: /duplicate device id/, applies: 2 },
    { what: 'no transport', payload: pushed(5, [{ deviceId: 'x', profile: 'smart-pole', district: 'y' }]), version: 2, rejected: 5, reason: /exactly one of `modbus`, `lora` or `field`/, applies: 2 },
    { what: 'hash does not match', payload: pushed(6, [pole('sp-1', 1502)], { contentHash: 'ff'.repeat(32) }), version: 2, rejected: 6, reason: /content hash/, applies: 2 },
    { what: 'another gateway', payload: pushed(7, [pole('sp-1', 1502)], { gatewayId: 'gw-2' }), version: 2, rejected: 7, reason: /for gateway "gw-2"/, applies: 2 },
    { what: 'the agent refuses (profiles)', payload: pushed(8, [pole('sp-1', 1502)]), fail: 'unknown profile "x"', version: 2, rejected: 8, reason: /unknown profile/, applies: 2 },
    { what: 'garbage', payload: Buffer.from([0x0a, 0xff, 0xff]), version: 2, rejected: 8, reason: /unknown profile/, applies: 2 },
    { what: 'fixed config after refusals', payload: pushed(9, [pole('sp-3', 1504)]), version: 9, rejected: 8, reason: /unknown profile/, applies: 3 },
  ];
  for (const row of table) {
    failWith(row.fail ?? null);
    await remote.handle(row.payload);
    assert.is(remote.state.version, row.version, row.what);
    assert.is(remote.state.rejectedVersion, row.rejected, row.what);
    if (row.reason) assert.match(remote.state.rejectedReason, row.reason, row.what);
    assert.is(applied.length, row.applies, row.what);
  }
  assert.equal(applied.at(-1)!.devices.map((d) => d.deviceId), ['sp-3']);
  assert.ok(changes() >= 9, 'status published after each applied or refused config');
  assert.equal(remote.statusFields(), { configVersion: 9, configRejectedVersion: 8, configRejectedReason: 'unknown profile "x"' });
});

test('the last applied config survives a restart (kept in the gateway database), a refused one does not', async () => {
  const { db, remote, opts } = setup();
  await remote.handle(pushed(4, [pole('sp-1', 1502, 900)]));
  await remote.handle(pushed(5, [pole('sp-1', 1502), pole('sp-1', 1502)]));
  const restarted = new RemoteGatewayConfig({ ...opts, registry: new Registry(), db });
  const config = restarted.startupConfig(bootstrap);
  assert.is(restarted.state.version, 4);
  assert.equal(config.devices.map((d) => [d.deviceId, d.pollIntervalMs]), [['sp-1', 900]]);
  // Kept config that no longer fits the bootstrap (its serial line left the YAML): the YAML runs, reason reported.
  await restarted.handle(pushed(6, [{ deviceId: 'mh-1', profile: 'manhole-cover', district: 'y', modbusRtu: { line: 'rs485-1', unitId: 4 } }]));
  const noLines = { ...bootstrap, serialLines: [] };
  const again = new RemoteGatewayConfig({ ...opts, registry: new Registry(), db });
  assert.is(again.startupConfig(noLines), noLines);
  assert.is(again.state.version, 0);
  assert.match(again.state.rejectedReason, /unknown serial line/);
});

test('merge errors are TZ_CONFIG_INVALID naming the version and the path', () => {
  try {
    mergeGatewayConfig(bootstrap, { gatewayId: 'gw-1', version: 12, devices: [pole('bad id!', 1502)] } as never);
    assert.unreachable();
  } catch (err) {
    assert.ok(isTzError(err, 'TZ_CONFIG_INVALID'));
    assert.match((err as Error).message, /GatewayConfig v12: devices\.0\.deviceId/);
  }
});

test.run();

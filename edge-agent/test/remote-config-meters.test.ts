// A pushed GatewayConfig carries DL/T 645 and CJ/T 188 meters (config.proto
// FieldMeterAddress): through the wire, the merge gives the agent the same
// `field` device its YAML would have (edge-agent/drivers/field-config.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeGatewayConfig, encodeGatewayConfig, gatewayConfigContentHash } from '../../proto/index.ts';
import { parseEdgeAgentConfig } from '../config.ts';
import { mergeGatewayConfig } from '../remote-config.ts';

const bootstrap = parseEdgeAgentConfig({
  gatewayId: 'gw-1', brokerUrl: 'mqtt://127.0.0.1:1883', username: 'gw-1', password: 'pw', dataDir: '/tmp/x',
  serialLines: [{ name: 'rs485-1', path: '/dev/ttyUSB0' }],
}, 'gw.yaml');

test('merge: DL/T 645 on a serial line, CJ/T 188 behind a serial server, through the wire', () => {
  const content = {
    gatewayId: 'gw-1', pollIntervalMs: 0, deadbands: {},
    devices: [
      { deviceId: 'em-1', profile: 'electricity-meter', district: 'yicheng', fieldMeter: { protocol: 'dlt645', address: '202312345678', line: 'rs485-1' } },
      { deviceId: 'wm-1', profile: 'water-meter', district: 'yicheng', fieldMeter: { protocol: 'cjt188', address: '12345678901234', host: '10.0.0.9', port: 4001 } },
    ],
  };
  const wire = decodeGatewayConfig(Buffer.from(encodeGatewayConfig({ ...content, version: 2, issuedAtMs: 1, contentHash: gatewayConfigContentHash(content) })));
  assert.is(gatewayConfigContentHash(wire), wire.contentHash, 'the hash covers the meter address');
  const config = mergeGatewayConfig(bootstrap, wire);
  assert.equal(config.devices.map((d) => d.field), [
    { transport: 'dlt645', address: '202312345678', line: 'rs485-1' },
    { transport: 'cjt188', address: '12345678901234', host: '10.0.0.9', port: 4001 },
  ]);
  const moved = { ...content, devices: [{ ...content.devices[0]!, fieldMeter: { protocol: 'dlt645', address: '202312345679', line: 'rs485-1' } }, content.devices[1]!] };
  assert.is.not(gatewayConfigContentHash(moved), gatewayConfigContentHash(content), 'another meter address is another config');
});

test.run();

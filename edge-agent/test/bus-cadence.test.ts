import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nextSlot } from '../modbus-bus.ts';
import { configWarnings, parseEdgeAgentConfig } from '../config.ts';

// nextSlot(dueAt, interval, now): a late device keeps its own cadence.
const SLOTS: Array<[string, number, number, number, number]> = [
  ['on time: one interval later', 1_000, 500, 1_010, 1_500],
  ['polled exactly at the next slot: the one after', 1_000, 500, 1_500, 2_000],
  ['late by a neighbour timeout (ran at 1 600): next free slot, not now', 1_000, 500, 1_600, 2_000],
  ['late by several intervals: skips the missed slots', 1_000, 500, 3_720, 4_000],
  ['ahead of schedule (clock went back): one interval after the due time', 5_000, 1_000, 4_000, 6_000],
];

for (const [name, due, interval, now, expected] of SLOTS) {
  test(`nextSlot: ${name}`, () => {
    const next = nextSlot(due, interval, now);
    assert.is(next, expected);
    assert.ok(next > now, 'always ahead of now: never a second poll at once');
    assert.is((next - due) % interval, 0, 'stays on the device cadence');
  });
}

const base = { gatewayId: 'gw-1', brokerUrl: 'mqtt://127.0.0.1:1883', username: 'gw-1', password: 'x', dataDir: '/tmp/x' };
const device = (pollIntervalMs?: number) => ({ deviceId: `d${pollIntervalMs ?? 0}`, profile: 'manhole-cover', district: 'yicheng', modbus: { host: '127.0.0.1', port: 502, unitId: 1 }, ...(pollIntervalMs ? { pollIntervalMs } : {}) });

test('configWarnings: a dead slave would delay its neighbours when timeout × (1 + retries) reaches the poll interval', () => {
  const warned = configWarnings(parseEdgeAgentConfig({ ...base, requestTimeoutMs: 1000, retries: 1, devices: [device(2000), device()] }, 'gw.yaml'));
  assert.is(warned.length, 1);
  assert.match(warned[0]!, /2000 ms reaches the shortest poll interval \(2000 ms\)/);
  assert.equal(configWarnings(parseEdgeAgentConfig({ ...base, requestTimeoutMs: 500, retries: 1, devices: [device(2000)] }, 'gw.yaml')), []);
  assert.equal(configWarnings(parseEdgeAgentConfig({ ...base, requestTimeoutMs: 1000, retries: 4, pollIntervalMs: 5000, devices: [device()] }, 'gw.yaml')).length, 1);
});

test.run();

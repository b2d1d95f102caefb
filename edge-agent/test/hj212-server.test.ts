// The HJ 212 server's bounds over real sockets: connections, packet size,
// idle connections, garbage in a row — each refused and counted with its
// reason, the server still serving the next station.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Socket } from 'node:net';
import { Registry } from 'prom-client';
import { frameHj212, loadProfiles, type Values } from '../../device-profiles/index.ts';
import { createLogger, systemClock } from '../../service-kit/index.ts';
import { createEdgeMetrics } from '../metrics.ts';
import { Hj212Server } from '../drivers/hj212-server.ts';
import { fieldProtocolsSchema } from '../drivers/field-config.ts';

const profile = loadProfiles().require('environmental-station');
const pushed: Array<{ mn: string; at: number; values: Values }> = [];
const registry = new Registry();
const metrics = createEdgeMetrics(registry);
const settings = { ...fieldProtocolsSchema.parse({}).hj212, host: '127.0.0.1', port: 0, maxConnections: 2, maxDataBytes: 256, idleTimeoutMs: 1000, maxBadInARow: 3 };
const station = (mn: string) => ({ config: { deviceId: mn, profile: profile.class, district: 'd' } as never, profile, mn });
const server = new Hj212Server([station('ST1'), station('ST2')], { settings, metrics, log: createLogger('test', 'silent'), clock: systemClock, onPush: (s, at, values) => pushed.push({ mn: s.mn, at, values }) });

const rejects = async (reason: string): Promise<number> => (await metrics.fieldRejects.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
const connect = (): Promise<Socket> => new Promise((resolve, reject) => {
  const s = new Socket();
  s.once('error', reject);
  s.connect(server.address!.port, '127.0.0.1', () => resolve(s));
});
const closed = (s: Socket): Promise<void> => new Promise((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));
/** Until the server has seen every client close (its gauge), bounded. */
async function serverIdle(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await metrics.hj212Connections.get()).values[0]?.value === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the server still holds connections');
}
const packet = (mn: string, time: string) => frameHj212(`QN=${time}000;ST=22;CN=2011;PW=123456;MN=${mn};Flag=5;CP=&&DataTime=${time};a34004-Rtd=12.5,a34004-Flag=N&&`);

test.before(() => server.start());
test.after(() => server.stop());

test('a packet is read, answered 9014 and handed on with its DataTime', async () => {
  const s = await connect();
  const answer = new Promise<string>((resolve) => s.once('data', (b: Buffer) => resolve(b.toString('latin1'))));
  s.write(packet('ST1', '20260703101500'));
  assert.match(await answer, /CN=9014;PW=123456;MN=ST1;Flag=4;CP=&&&&/);
  assert.equal(pushed.at(-1), { mn: 'ST1', at: Date.UTC(2026, 6, 3, 2, 15), values: new Map([['pm25_ugm3', 12.5]]) });
  s.destroy();
  await closed(s);
});

test('connections above maxConnections are refused and counted', async () => {
  const a = await connect();
  const b = await connect();
  const c = await connect().catch(() => null);
  if (c) await closed(c); // accepted by the kernel, closed by the server at once
  for (let i = 0; i < 50 && (await rejects('connections')) < 1; i++) await new Promise((r) => setImmediate(r));
  assert.ok((await rejects('connections')) >= 1);
  a.destroy();
  b.destroy();
  await Promise.all([closed(a), closed(b)]);
  await serverIdle();
});

test('an idle connection is closed after idleTimeoutMs (counted "idle")', async () => {
  const s = await connect();
  await closed(s);
  assert.ok((await rejects('idle')) >= 1);
  await serverIdle();
});

test('over-long packets and garbage in a row close the connection; the next station is served', async () => {
  const s = await connect();
  s.write(`##0999${'x'.repeat(20)}`);
  s.write('##abcd');
  await closed(s);
  assert.ok((await rejects('too-long')) >= 1 && (await rejects('syntax')) >= 1 && (await rejects('disconnected')) >= 1);
  await serverIdle();
  const t = await connect();
  const answer = new Promise<string>((resolve) => t.once('data', (b: Buffer) => resolve(b.toString('latin1'))));
  t.write(packet('ST9', '20260703101600')); // unknown MN: no answer
  t.write(packet('ST2', '20260703101700'));
  assert.match(await answer, /MN=ST2/);
  assert.is(await rejects('unknown-device'), 1);
  t.destroy();
  await closed(t);
});

test.run();

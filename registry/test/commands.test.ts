import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { loadProfiles } from '../../device-profiles/index.ts';
import { decodeCommand, encodeCommandAck, metricValueOf, topics, tz, type AlarmEvent } from '../../proto/index.ts';
import { ManualClock, createLogger, isTzError, openAccessTokens, openAuditLog } from '../../service-kit/index.ts';
import { CommandCenter, commandRoutes, ruleCommandSink } from '../commands/index.ts';

const profiles = loadProfiles();
const DEVICES: Record<string, { gatewayId: string; profile: string }> = { 'sp-1': { gatewayId: 'gw-1', profile: 'smart-pole' }, 'wm-1': { gatewayId: 'gw-2', profile: 'water-meter' } };

async function setup() {
  const db = new Database(':memory:');
  const clock = new ManualClock(1_700_000_000_000);
  const sent: Array<{ topic: string; payload: Buffer }> = [];
  let brokerDown = false;
  const registry = new Registry();
  const center = new CommandCenter({
    db, profiles, registry, clock, log: createLogger('test', 'silent'), timeoutMs: 60_000, answerGraceMs: 5000,
    lookupDevice: (id) => DEVICES[id],
    channel: { publish: async (topic, payload) => {
      if (brokerDown) throw new Error('connection closed');
      sent.push({ topic, payload });
    } },
  });
  const access = openAccessTokens(db);
  const tokens = Object.fromEntries((['admin', 'operator', 'readonly', 'dispatcher'] as const).map((role) => [role, access.issue({ name: `${role}-1`, role }).token]));
  const app = Fastify();
  await app.register(commandRoutes, { center, access });
  await app.ready();
  const ack = (commandId: string, result: number, reason = '', gatewayId = 'gw-1') => center.onMessage(topics.commandAck(gatewayId), Buffer.from(encodeCommandAck({ commandId, deviceId: 'sp-1', result, reason })));
  return { center, clock, sent, app, tokens, registry, ack, setBrokerDown: (v: boolean) => void (brokerDown = v) };
}

test('HTTP: an operator sends set_dimming; the Command goes to the gateway typed by the profile; the ack settles it', async () => {
  const { app, tokens, sent, ack, clock } = await setup();
  const res = await app.inject({ method: 'POST', url: '/api/v1/devices/sp-1/commands', headers: { authorization: `Bearer ${tokens.operator}` }, payload: { name: 'set_dimming', params: { level: 40 } } });
  assert.is(res.statusCode, 202, res.body);
  const view = res.json();
  assert.equal([view.state, view.requestedBy, view.gatewayId], ['sent', `operator:operator-1#${String(tokens.operator?.split('_')[1])}`, 'gw-1']);
  assert.is(sent[0]!.topic, topics.command('gw-1'));
  const cmd = decodeCommand(sent[0]!.payload);
  assert.equal([cmd.commandId, cmd.deviceId, cmd.name, cmd.params[0]!.name, metricValueOf(cmd.params[0] as never)], [view.commandId, 'sp-1', 'set_dimming', 'level', 40]);
  assert.is(cmd.params[0]!.integer, 40, 'an integer param travels as integer');
  assert.is(cmd.expiresAtMs, clock.now() + 60_000);
  ack(view.commandId, tz.CommandResult.COMMAND_RESULT_OK, 'written: holding 0');
  const got = await app.inject({ url: `/api/v1/commands/${view.commandId}`, headers: { authorization: `Bearer ${tokens.readonly}` } });
  assert.equal([got.json().state, got.json().result, got.json().detail], ['acked', 'ok', 'written: holding 0']);
  const list = await app.inject({ url: '/api/v1/devices/sp-1/commands', headers: { authorization: `Bearer ${tokens.dispatcher}` } });
  assert.is(list.json().commands.length, 1);
});

test('HTTP: roles, bad commands and unknown devices answer clearly', async () => {
  const { app, tokens, sent } = await setup();
  const post = (token: string | undefined, url: string, payload: unknown) => app.inject({ method: 'POST', url, headers: token ? { authorization: `Bearer ${token}` } : {}, payload: payload as object });
  const table: Array<[string | undefined, string, unknown, number, string]> = [
    [undefined, '/api/v1/devices/sp-1/commands', { name: 'set_dimming', params: { level: 1 } }, 401, 'TZ_AUTH_REQUIRED'],
    [tokens.readonly, '/api/v1/devices/sp-1/commands', { name: 'set_dimming', params: { level: 1 } }, 403, 'TZ_FORBIDDEN'],
    [tokens.dispatcher, '/api/v1/devices/sp-1/commands', { name: 'set_dimming', params: { level: 1 } }, 403, 'TZ_FORBIDDEN'],
    [tokens.admin, '/api/v1/devices/sp-1/commands', { name: 'set_dimming', params: { level: 101 } }, 400, 'TZ_COMMAND_INVALID'],
    [tokens.operator, '/api/v1/devices/sp-1/commands', { name: 'open_valve', params: {} }, 400, 'TZ_COMMAND_INVALID'],
    [tokens.operator, '/api/v1/devices/sp-1/commands', { name: 'play_warning', params: { message: 1 } }, 400, 'TZ_COMMAND_INVALID'],
    [tokens.operator, '/api/v1/devices/sp-9/commands', { name: 'set_dimming', params: { level: 1 } }, 404, 'TZ_DEVICE_UNKNOWN'],
    [tokens.operator, '/api/v1/devices/sp-1/commands', { name: 'set_dimming', params: { level: 'x' } }, 400, 'TZ_REQUEST_INVALID'],
  ];
  for (const [token, url, body, status, code] of table) {
    const res = await post(token, url, body);
    assert.is(res.statusCode, status, `${JSON.stringify(body)}: ${res.body}`);
    assert.is(res.json().code, code);
  }
  assert.is(sent.length, 0, 'nothing refused reached the broker');
  const missing = await app.inject({ url: '/api/v1/commands/00000000-0000-4000-8000-000000000000', headers: { authorization: `Bearer ${tokens.readonly}` } });
  assert.is(missing.statusCode, 404);
});

test('outcomes: rejected and gateway timeout are failed/timeout; no answer → timeout by the clock; late or foreign acks change nothing', async () => {
  const { center, clock, ack, registry, setBrokerDown } = await setup();
  const send = () => center.send({ deviceId: 'sp-1', name: 'set_lamp', params: { on: true }, requestedBy: 'op' });
  const a = await send();
  const b = await send();
  const c = await send();
  const d = await send();
  ack(a.commandId, tz.CommandResult.COMMAND_RESULT_REJECTED, 'device sp-1 is not configured on this gateway');
  ack(b.commandId, tz.CommandResult.COMMAND_RESULT_TIMED_OUT, 'expired');
  ack(d.commandId, tz.CommandResult.COMMAND_RESULT_OK, '', 'gw-2'); // another gateway cannot answer for gw-1
  clock.advance(60_000 + 4_000);
  assert.is(center.sweep(), 0, 'inside the grace period');
  clock.advance(2_000);
  assert.is(center.sweep(), 2);
  ack(c.commandId, tz.CommandResult.COMMAND_RESULT_OK); // too late: the outcome stays
  assert.equal([center.get(a.commandId).state, center.get(a.commandId).result], ['failed', 'rejected']);
  assert.equal([center.get(b.commandId).state, center.get(b.commandId).result], ['timeout', 'timed-out']);
  assert.equal([center.get(c.commandId).state, center.get(c.commandId).result], ['timeout', 'no-answer']);
  assert.is(center.get(d.commandId).state, 'timeout');
  setBrokerDown(true);
  try {
    await send();
    assert.unreachable();
  } catch (err) {
    assert.ok(isTzError(err, 'TZ_BROKER_UNREACHABLE'));
  }
  assert.is(center.history('sp-1')[0]!.result, 'publish-failed');
  const text = await registry.metrics();
  assert.match(text, /tz_commands_finished_total\{state="timeout",result="no-answer"\} 2/);
  assert.match(text, /tz_command_acks_ignored_total 2/);
});

test('rule commands: a raised alarm of a rule with a command sends it once, however often the event is delivered, audited once with the rule as actor', async () => {
  const { center, sent } = await setup();
  const audit = openAuditLog(new Database(':memory:'));
  const sink = ruleCommandSink(center, (ruleId) => (ruleId === 'noise-night-warning' ? { name: 'play_warning', params: { message: 1, volume: 80 } } : undefined), createLogger('test', 'silent'), audit);
  const event = (type: AlarmEvent['type'], ruleId: string, eventId: string): AlarmEvent => ({ eventId, type, at: new Date().toISOString(), alarm: { ruleId, deviceId: 'sp-1' } as AlarmEvent['alarm'] });
  await sink.deliver(event('raised', 'noise-night-warning', 'e-1'));
  await sink.deliver(event('raised', 'noise-night-warning', 'e-1'));
  await sink.deliver(event('cleared', 'noise-night-warning', 'e-2'));
  await sink.deliver(event('raised', 'pole-voltage-abnormal', 'e-3'));
  assert.is(sent.length, 1);
  const cmd = decodeCommand(sent[0]!.payload);
  assert.equal([cmd.name, cmd.params.map((p) => [p.name, Number(p.integer)])], ['play_warning', [['message', 1], ['volume', 80]]]);
  assert.is(center.history('sp-1')[0]!.requestedBy, 'rule:noise-night-warning');
  const audited = audit.list({ action: 'device.command' });
  assert.is(audited.length, 1, 'the redelivered event is not audited twice');
  assert.equal([audited[0]?.actor, audited[0]?.target, audited[0]?.result, audited[0]?.details.command], ['rule:noise-night-warning', 'sp-1', 'ok', 'play_warning']);
});

test.run();

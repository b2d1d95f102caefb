// tianzhong-command in a real Node-RED 4 runtime against the real command API
// (registry/commands on Fastify, real HTTP): the gateway's side is played by
// the channel, which answers each published Command with a CommandAck.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { loadProfiles } from '../../device-profiles/index.ts';
import { decodeCommand, tz } from '../../proto/index.ts';
import { createLogger, openAccessTokens, systemClock } from '../../service-kit/index.ts';
import { CommandCenter, commandRoutes } from '../../registry/commands/index.ts';

interface NodeRedMsg { [key: string]: unknown; payload?: unknown }
interface TestNode { on(event: string, fn: (msg: NodeRedMsg) => void): void; receive(msg: NodeRedMsg): void }
interface Helper {
  init(path: string): void;
  load(nodes: unknown[], flow: object[], credentials: object, done: () => void): void;
  unload(): Promise<void>;
  getNode(id: string): TestNode;
}
const helper = require('node-red-node-test-helper') as Helper;
const commandNode = require('../nodes/tianzhong-command.js');
const apiNode = require('../nodes/tianzhong-api.js');
const catchNode = require('@node-red/nodes/core/common/25-catch.js');
helper.init(require.resolve('node-red'));

function collect(id: string, count: number, timeoutMs = 5000): Promise<NodeRedMsg[]> {
  const got: NodeRedMsg[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${id}: got ${got.length} of ${count} messages`)), timeoutMs);
    helper.getNode(id).on('input', (msg) => {
      got.push(msg);
      if (got.length === count) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

test('command: posts play_warning with the token, passes on the acked command; refusals reach a catch node', async () => {
  const db = new Database(':memory:');
  const access = openAccessTokens(db);
  const operator = access.issue({ name: 'node-red', role: 'operator' }).token;
  const center: CommandCenter = new CommandCenter({
    db, profiles: loadProfiles(), registry: new Registry(), clock: systemClock, log: createLogger('test', 'silent'),
    lookupDevice: (id) => (id === 'pole-7' ? { gatewayId: 'gw-7', profile: 'smart-pole' } : undefined),
    channel: { publish: async (_topic, payload) => {
      const cmd = decodeCommand(payload);
      setImmediate(() => center.onAck('gw-7', { commandId: cmd.commandId, deviceId: cmd.deviceId, result: tz.CommandResult.COMMAND_RESULT_OK, reason: 'written: holding 2, holding 1' }));
    } },
  });
  const app = Fastify();
  await app.register(commandRoutes, { center, access });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    await new Promise<void>((resolve) => helper.load([commandNode, apiNode, catchNode], [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'cfg', type: 'tianzhong-api', url, timeout: 5 },
      { id: 'speaker', z: 'tab', type: 'tianzhong-command', api: 'cfg', deviceId: 'pole-7', command: 'play_warning', wait: 5, wires: [['out']] },
      { id: 'any', z: 'tab', type: 'tianzhong-command', api: 'cfg', wait: 0, wires: [['out']] },
      { id: 'out', z: 'tab', type: 'helper' },
      { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['errors']] },
      { id: 'errors', z: 'tab', type: 'helper' },
    ], { cfg: { token: operator } }, resolve));
    const out = collect('out', 1);
    helper.getNode('speaker').receive({ payload: { params: { message: 1, volume: 80 } } });
    const [msg] = await out;
    const answer = msg!.payload as { state: string; result: string; requestedBy: string; params: object };
    assert.equal([msg!.statusCode, answer.state, answer.result, answer.requestedBy], [200, 'acked', 'ok', `operator:node-red#${operator.split('_')[1]}`]);
    assert.equal(answer.params, { message: 1, volume: 80 });
    assert.is(center.get(String(msg!.commandId)).state, 'acked');

    const errors = collect('errors', 3);
    helper.getNode('any').receive({ deviceId: 'pole-7', command: 'play_warning', payload: { params: { message: 99, volume: 80 } } });
    helper.getNode('any').receive({ deviceId: 'pole-404', command: 'set_dimming', payload: { params: { level: 1 } } });
    helper.getNode('any').receive({ payload: { params: {} } });
    const errs = (await errors).map((e) => `${e.statusCode ?? ''} ${(e.error as { message: string }).message}`);
    assert.ok(errs.some((e) => e.startsWith('400') && e.includes('TZ_COMMAND_INVALID')), errs.join(' | '));
    assert.ok(errs.some((e) => e.startsWith('404') && e.includes('TZ_DEVICE_UNKNOWN')), errs.join(' | '));
    assert.ok(errs.some((e) => e.includes('needs a device id')), errs.join(' | '));
  } finally {
    await helper.unload();
    await app.close();
  }
});

test.run();

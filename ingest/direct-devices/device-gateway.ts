import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { Counter } from 'prom-client';
import { loadProfileJsonCodec, type DeviceProfile, type JsonCodec, type ProfileCatalogue } from '../../device-profiles/index.ts';
import { decodeCommand, deviceTopics, encodeCommandAck, encodeUplinkBatch, parseDeviceTopic, topics, tz, type ICommand, type IReading } from '../../proto/index.ts';
import { bearerToken, createLogger, createRegistry, createServiceHttp, installErrorHandler, isTzError, listenService, systemClock, toError, TzError, type Clock, type Logger, type RunningService, type TzErrorCode } from '../../service-kit/index.ts';
import { openDeadLetterStore } from '../dead-letter-store.ts';
import { DirectLedger } from './direct-ledger.ts';
import { JsonIntake, type DirectDevice, type JsonRefusal } from './json-intake.ts';
import type { RejectReason } from '../reject-reasons.ts';

export interface DeviceGatewayOptions {
  brokerUrl: string;
  /** Broker account with role `device-gateway`; the username is the virtual gateway id the readings arrive under (e.g. `direct`). */
  username: string;
  password: string;
  clientId?: string;
  profiles: ProfileCatalogue;
  /** Folder the profiles' codec paths are relative to. */
  profileDir: string;
  devices: DirectDevice[];
  /**
   * Checks a device's HTTP token. Wired by the CLI to the broker users file
   * (role `device`): one credential per device for MQTT and HTTP, hashed at rest there.
   */
  verifyToken: (deviceId: string, token: string) => Promise<boolean>;
  /** Folder for the ledger (seq, repeats) and the dead-letter store. */
  dataDir: string;
  maxPayloadBytes?: number;
  maxMessagesPerDevicePerMinute?: number;
  /** How long identical bytes (no message id) count as a retransmission, ms. */
  retransmitWindowMs?: number;
  /** How long a device's message id is remembered, ms. */
  idWindowMs?: number;
  /** How long an HTTP POST waits for the broker's PUBACK before answering 503. */
  publishTimeoutMs?: number;
  codecTimeoutMs?: number;
  http?: { host?: string; port?: number };
  log?: Logger;
  clock?: Clock;
}

/** Each refusal's catalogue code (and so its HTTP status: 413, 400, 404, 422, 429). */
const REFUSAL_CODE: Record<JsonRefusal, TzErrorCode> = { oversized: 'TZ_PAYLOAD_TOO_LARGE', 'bad-json': 'TZ_REQUEST_INVALID', 'unknown-device': 'TZ_DEVICE_UNKNOWN', 'codec-error': 'TZ_READING_INVALID', flood: 'TZ_RATE_LIMITED' };
const HTTP_BODY_CAP = 1_048_576;

/**
 * The device gateway: devices that connect by themselves (no edge agent)
 * publish JSON on tz/v1/dev/{deviceId}/up/json or POST it to
 * /api/v1/direct/{deviceId}; each message is decoded by its profile's
 * sandboxed JSON codec, stamped (seq and device time, repeats get their first
 * stamp back) and published as a one-reading UplinkBatch on the gateway
 * branch tz/v1/gw/{username}/up/batch — so ingest validates, dead-letters and
 * writes it, and the rules engine sees it, exactly like a gateway's reading.
 * Commands on tz/v1/gw/{username}/down/cmd go to the device's down branch as JSON.
 *
 * Delivery: at-least-once. A device's QoS 1 message is acknowledged (PUBACK,
 * or HTTP 202) only after the broker acknowledged the UplinkBatch; a repeat is
 * published again with the same seq and time, and overwrites itself in InfluxDB.
 */
export async function startDeviceGateway(options: DeviceGatewayOptions): Promise<RunningService> {
  const log = options.log ?? createLogger('device-gateway');
  const clock = options.clock ?? systemClock;
  const gatewayId = options.username;
  const registry = createRegistry('device-gateway');
  const registers = [registry];
  const messages = new Counter({ name: 'tz_direct_messages_total', help: 'JSON messages from devices that connect by themselves, by transport and outcome', labelNames: ['via', 'outcome'] as const, registers });
  const commandsCounter = new Counter({ name: 'tz_direct_commands_total', help: 'Commands forwarded to direct devices, by result', labelNames: ['result'] as const, registers });
  const counts: Record<string, number> & { deadLettered: number; commands: number } = { accepted: 0, repeat: 0, oversized: 0, 'bad-json': 0, 'unknown-device': 0, 'codec-error': 0, flood: 0, 'bad-token': 0, 'bad-topic': 0, 'publish-failed': 0, deadLettered: 0, commands: 0 };
  const count = (via: 'mqtt' | 'http', outcome: string): void => {
    counts[outcome] = (counts[outcome] ?? 0) + 1;
    messages.inc({ via, outcome });
  };

  const devices = new Map<string, { device: DirectDevice; profile: DeviceProfile; codec: JsonCodec }>();
  const codecs = new Map<string, JsonCodec>();
  const problems: string[] = [];
  for (const device of options.devices) {
    const profile = options.profiles.get(device.profile);
    if (!profile) problems.push(`${device.deviceId}: unknown profile "${device.profile}"`);
    else if (!profile.json) problems.push(`${device.deviceId}: profile "${profile.class}" has no json codec`);
    else {
      let codec = codecs.get(profile.class);
      if (!codec) {
        codec = await loadProfileJsonCodec(profile, options.profileDir, { timeoutMs: options.codecTimeoutMs ?? 100 });
        codecs.set(profile.class, codec);
      }
      devices.set(device.deviceId, { device, profile, codec });
    }
  }
  if (problems.length > 0) throw new TzError('TZ_CONFIG_INVALID', `direct devices do not fit the profiles:\n  ${problems.join('\n  ')}`, { details: { problems } });

  const ledger = new DirectLedger(join(options.dataDir, 'direct-devices.sqlite'), { idWindowMs: options.idWindowMs ?? 86_400_000, retransmitWindowMs: options.retransmitWindowMs ?? 60_000 });
  const deadLetters = openDeadLetterStore(join(options.dataDir, 'direct-dead-letters.sqlite'));
  const maxPayloadBytes = options.maxPayloadBytes ?? 16 * 1024;
  const intake = new JsonIntake({ devices, ledger, maxPayloadBytes, maxMessagesPerDevicePerMinute: options.maxMessagesPerDevicePerMinute ?? 60, now: () => clock.now() });
  const prune = setInterval(() => ledger.prune(clock.now()), 60_000);
  prune.unref();

  function deadLetter(topic: string, deviceId: string | null, reason: RejectReason, detail: string, raw: Buffer): void {
    deadLetters.add([{ topic, gatewayId, deviceId, reason, detail, payload: raw.subarray(0, maxPayloadBytes) }]);
    counts.deadLettered++;
    log.warn({ topic, deviceId, reason, detail }, 'direct device message dead-lettered');
  }

  // Two connections: `inbound` holds the subscriptions and withholds each device's PUBACK until the
  // reading is with the broker; `outbound` publishes. One connection cannot do both: mqtt.js handles
  // incoming packets one at a time, so the PUBACK of our own publish would queue behind the message waiting for it.
  const clientId = options.clientId ?? `tz-device-gateway-${gatewayId}`;
  const connectOptions = { username: options.username, password: options.password, reconnectPeriod: 1000, connectTimeout: 10_000 };
  const client: MqttClient = mqtt.connect(options.brokerUrl, { ...connectOptions, clientId: `${clientId}-out`, clean: true });
  const inbound: MqttClient = mqtt.connect(options.brokerUrl, { ...connectOptions, clientId, clean: false });
  for (const c of [client, inbound]) c.on('error', (err) => log.warn({ err: err.message }, 'device gateway MQTT error'));
  inbound.on('connect', (ack) => {
    log.info({ brokerUrl: options.brokerUrl, sessionPresent: ack.sessionPresent }, 'device gateway connected');
    inbound.subscribe([deviceTopics.allUpJson, topics.command(gatewayId)], { qos: 1 }, (err, granted) => {
      if (err || granted?.some((g) => g.qos === 128)) log.error({ err: err?.message, granted }, 'device gateway subscription refused: check the account has role device-gateway');
    });
  });

  const publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
  /** Publishes one reading as an UplinkBatch; resolves on the broker's PUBACK. */
  async function forward(reading: IReading): Promise<void> {
    const batch = encodeUplinkBatch({ gatewayId, batchSeq: ledger.nextBatchSeq(), sentAtMs: clock.now(), readings: [reading], statuses: [] });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.publishAsync(topics.batch(gatewayId), Buffer.from(batch), { qos: 1 }),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new TzError('TZ_BROKER_UNREACHABLE', `no PUBACK from the broker within ${publishTimeoutMs} ms`)), publishTimeoutMs))),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The shared path of both transports: the reading's stamp once the broker
   * has it; a refusal throws its catalogue TzError (TZ_BROKER_UNREACHABLE when
   * the broker did not take it), answered by service-kit's error handler.
   */
  async function handle(via: 'mqtt' | 'http', deviceId: string, raw: Buffer, topic: string): Promise<{ seq: number; timestampMs: number; repeat: boolean }> {
    const outcome = intake.take(deviceId, raw, topic);
    if (!outcome.ok) {
      count(via, outcome.reason);
      // A flood is counted, not stored: storing it would let one device fill the disk.
      if (outcome.reason !== 'flood') deadLetter(topic, deviceId, outcome.reason, outcome.detail, raw);
      throw new TzError(REFUSAL_CODE[outcome.reason], outcome.detail, { details: { reason: outcome.reason } });
    }
    try {
      await forward(outcome.reading);
    } catch (err) {
      count(via, 'publish-failed');
      log.warn({ deviceId, err: toError(err).message }, 'reading not handed to the broker; the device must send it again');
      throw new TzError('TZ_BROKER_UNREACHABLE', toError(err).message, { retryable: true });
    }
    count(via, outcome.repeat ? 'repeat' : 'accepted');
    return { seq: Number(outcome.reading.seq), timestampMs: Number(outcome.reading.timestampMs), repeat: outcome.repeat };
  }

  async function onCommand(payload: Buffer): Promise<void> {
    let command: ICommand;
    try {
      command = decodeCommand(payload);
    } catch (err) {
      commandsCounter.inc({ result: 'malformed' });
      log.warn({ err: toError(err).message }, 'undecodable command refused');
      return;
    }
    const deviceId = String(command.deviceId ?? '');
    const commandId = String(command.commandId ?? '');
    const ack = (result: number, reason: string) => client.publishAsync(topics.commandAck(gatewayId), Buffer.from(encodeCommandAck({ commandId, deviceId, result, reason, timestampMs: clock.now() })), { qos: 1 });
    const known = devices.get(deviceId);
    if (!known) {
      commandsCounter.inc({ result: 'rejected' });
      await ack(tz.CommandResult.COMMAND_RESULT_REJECTED, `device ${deviceId} is not a direct device of ${gatewayId}`);
      return;
    }
    if (!known.profile.commands.some((c) => c.name === command.name)) {
      commandsCounter.inc({ result: 'rejected' });
      await ack(tz.CommandResult.COMMAND_RESULT_REJECTED, `profile ${known.profile.class} has no command "${command.name ?? ''}"`);
      return;
    }
    const params = Object.fromEntries((command.params ?? []).map((p) => [p.name ?? '', p.flag ?? (p.number != null ? Number(p.number) : p.integer != null ? Number(p.integer) : null)]));
    const json = JSON.stringify({ commandId, name: command.name, params, issuedAtMs: Number(command.issuedAtMs ?? 0), expiresAtMs: Number(command.expiresAtMs ?? 0) || undefined });
    await client.publishAsync(deviceTopics.downCommand(deviceId), json, { qos: 1 });
    counts.commands++;
    commandsCounter.inc({ result: 'delivered' });
    // Delivered to the device's branch (QoS 1, its persistent session keeps it while it is away).
    await ack(tz.CommandResult.COMMAND_RESULT_OK, `delivered to ${deviceTopics.downCommand(deviceId)}`);
  }

  // The PUBACK to the device waits until its reading is with the broker (mqtt.js sends it when this callback runs).
  inbound.handleMessage = (packet, done) => {
    const topic = packet.topic;
    const raw = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const work = topic === topics.command(gatewayId)
      ? onCommand(raw)
      : (() => {
        const parsed = parseDeviceTopic(topic);
        if (!parsed || parsed.direction !== 'up') {
          count('mqtt', 'bad-topic');
          deadLetter(topic, null, 'bad-topic', 'not a device up topic', raw);
          return Promise.resolve();
        }
        return handle('mqtt', parsed.deviceId, raw, topic).then(() => undefined, (err: unknown) => {
          // A refusal is counted and dead-lettered already; the PUBACK goes out (resending would not help).
          if (!isTzError(err) || err.code !== 'TZ_BROKER_UNREACHABLE') return;
          // Not with the broker: drop the connection before the PUBACK can go out; the persistent
          // session redelivers the message when we reconnect (at-least-once, never acknowledged and lost).
          log.warn({ deviceId: parsed.deviceId }, 'reading not taken by the broker: reconnecting so the message is redelivered');
          inbound.stream?.destroy();
        });
      })();
    work.then(() => done(), (err: unknown) => {
      log.error({ topic, err: toError(err).message }, 'direct device message failed');
      done();
    });
  };

  const app = createServiceHttp({
    component: 'device-gateway', registry, log, bodyLimit: HTTP_BODY_CAP,
    health: () => ({ ok: client.connected && inbound.connected, mqttConnected: client.connected && inbound.connected, devices: devices.size }),
  });
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: HTTP_BODY_CAP }, (_req, body, done) => done(null, body));
    installErrorHandler(scope, 'device-gateway');
    // A body over the HTTP cap never reaches the intake: Fastify refuses it (413); it is counted here.
    scope.addHook('onError', async (_req, _reply, err: Error & { code?: string }) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') count('http', 'oversized');
    });
    scope.post<{ Params: { deviceId: string } }>('/api/v1/direct/:deviceId', async (req, reply) => {
      const { deviceId } = req.params;
      const token = bearerToken(req);
      if (!token || !(await options.verifyToken(deviceId, token))) {
        count('http', 'bad-token');
        throw new TzError('TZ_AUTH_REQUIRED', 'a device token is required: Authorization: Bearer <token>');
      }
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      return reply.code(202).send(await handle('http', deviceId, raw, `http:/api/v1/direct/${deviceId}`));
    });
  });
  const httpUrl = await listenService(app, options.http?.host, options.http?.port);
  log.info({ httpUrl, gatewayId, devices: devices.size }, 'device gateway started');

  let stopped: Promise<void> | undefined;
  return {
    httpUrl,
    stats: () => ({ ...counts }),
    stop() {
      stopped ??= (async () => {
        clearInterval(prune);
        await inbound.endAsync();
        await client.endAsync();
        await app.close();
        for (const c of codecs.values()) c.dispose();
        ledger.close();
        deadLetters.close();
      })();
      return stopped;
    },
  };
}

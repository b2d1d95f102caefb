import type Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import type { Registry } from 'prom-client';
import type { ProfileCatalogue } from '../device-profiles/index.ts';
import { decodeGatewayStatus, parseGatewayTopic, topics } from '../proto/index.ts';
import { Backoff, reconnectWithBackoff, recordConfigPushed, runSteps, step, subscribeTracked, toError, TzError, type AuditLog, type Clock, type Logger, type Maybe, type MqttServiceAccount, type Steps, type SubscriptionHealth } from '../service-kit/index.ts';
import { CommandCenter } from './commands/index.ts';
import { GatewayConfigPublisher, type ConfigDevice, type ConfigTransport } from './config-push/index.ts';
import type { RegisteredDevice } from './model.ts';
import type { RegistryStore } from './registry-store.ts';
import { SqliteRegistryStore } from './store.ts';

// The registry's voice on the broker: commands from the centre and each
// gateway's configuration, rendered from the store. It watches the store's
// device revision, so whatever changed a device (API, CLI import on the same
// file, discovery accepted) re-renders the configs of the gateways involved
// (the old one too, on a move). Status messages tell which version each
// gateway runs; the store keeps it for the API.

/** Lifecycle states whose devices a gateway polls. */
const POLLED_STATES = new Set(['installed', 'active', 'maintenance']);

export interface RegistryCentreOptions {
  store: RegistryStore;
  /**
   * Where the command log and the config ledger live: the registry's own
   * SQLite file by default; a registry on PostgreSQL names a SQLite file here.
   */
  ledgerDb?: Database.Database;
  profiles: ProfileCatalogue;
  mqtt: MqttServiceAccount;
  metrics: Registry;
  log: Logger;
  clock: Clock;
  /** How often the store's revision is checked (default 1 s). */
  watchEveryMs?: number;
  /** The one audit log: every config pushed (by version, never its contents). Commands are audited by their HTTP route. */
  audit?: AuditLog;
}

export interface RegistryCentre {
  commands: CommandCenter;
  configs: GatewayConfigPublisher;
  subscription: SubscriptionHealth;
  connected(): boolean;
  stop(): Promise<void>;
}

function* configTransport(store: RegistryStore, d: RegisteredDevice): Steps<ConfigTransport | null> {
  const t = d.transport;
  if (!t) return null;
  if (t.kind === 'modbus-tcp') return { kind: 'modbus-tcp', host: t.host, port: t.port, unitId: t.unit };
  if (t.kind === 'modbus-rtu') return { kind: 'modbus-rtu', line: t.line, unitId: t.unit };
  if (t.kind !== 'lorawan') return { kind: t.kind, address: t.meterAddress, line: t.line, host: t.host, port: t.port };
  const keys = yield* step(store.revealLoraKeys(d.id));
  // The gateway config carries ABP sessions; an OTAA device joins through the gateway's own join server.
  if (!keys || keys.activation !== 'abp' || !t.devAddr) return null;
  return { kind: 'lorawan', devEui: t.devEui, devAddr: t.devAddr, nwkSKey: keys.nwkSKey, appSKey: keys.appSKey };
}

/** A gateway's polled devices as its config needs them; devices without a usable address stay out. */
export function gatewayConfigDevices(store: SqliteRegistryStore, gatewayId: string): ConfigDevice[];
export function gatewayConfigDevices(store: RegistryStore, gatewayId: string): Maybe<ConfigDevice[]>;
export function gatewayConfigDevices(store: RegistryStore, gatewayId: string): Maybe<ConfigDevice[]> {
  return runSteps(configDeviceSteps(store, gatewayId));
}

function* configDeviceSteps(store: RegistryStore, gatewayId: string): Steps<ConfigDevice[]> {
  const devices: ConfigDevice[] = [];
  for (const d of yield* step(store.devicesOfGateway(gatewayId))) {
    if (!POLLED_STATES.has(d.state)) continue;
    const transport = yield* configTransport(store, d);
    if (!transport) continue;
    devices.push({
      id: d.id, profile: d.class, district: d.district ?? 'unknown', transport,
      ...(d.pollIntervalS !== null ? { pollIntervalMs: d.pollIntervalS * 1000 } : {}),
      ...(Object.keys(d.deadbands).length > 0 ? { deadbands: d.deadbands } : {}),
    });
  }
  return devices;
}

export async function startRegistryCentre(o: RegistryCentreOptions): Promise<RegistryCentre> {
  const ledgerDb = o.ledgerDb ?? (o.store instanceof SqliteRegistryStore ? o.store.db : undefined);
  if (!ledgerDb) throw new TzError('TZ_CONFIG_INVALID', 'registry centre: a registry on PostgreSQL needs a SQLite file for the command log and config ledger (ledgerDb)');
  // Which gateway each device hangs on, to re-render the old gateway on a move.
  const gatewayOf = new Map((await o.store.listDevices()).map((d) => [d.id, d.gatewayId]));
  let revision = await o.store.revision();
  const client: MqttClient = mqtt.connect(o.mqtt.brokerUrl, {
    clientId: o.mqtt.clientId ?? 'tz-registry-centre', clean: false, username: o.mqtt.username, password: o.mqtt.password, protocolVersion: 4,
    reconnectPeriod: 500, reconnectOnConnackError: true, connectTimeout: 10_000,
  });
  reconnectWithBackoff(client, new Backoff(500, 30_000));
  client.on('error', (err) => o.log.warn({ err: err.message }, 'registry centre: broker connection error'));
  const channel = { publish: (topic: string, payload: Buffer, options: { qos: 1; retain?: boolean }) => client.publishAsync(topic, payload, options) };
  const commands = new CommandCenter({ db: ledgerDb, profiles: o.profiles, channel, registry: o.metrics, log: o.log, clock: o.clock,
    lookupDevice: (id) => runSteps((function* () {
      const d = yield* step(o.store.getDevice(id));
      return d && d.state !== 'retired' ? { gatewayId: d.gatewayId, profile: d.class } : undefined;
    })()) });
  const configs = new GatewayConfigPublisher({ db: ledgerDb, profiles: o.profiles, channel: { publish: (t, p, opts) => channel.publish(t, p, opts) }, registry: o.metrics, log: o.log, clock: o.clock,
    gatewayDevices: async (id) => {
      if (!(await o.store.getGateway(id))) return undefined;
      return { gateway: { id }, devices: await gatewayConfigDevices(o.store, id) };
    } });
  const statusFailed = (gatewayId: string, err: unknown) => o.log.warn({ gatewayId, err: toError(err).message }, 'registry centre: the reported config version was not stored');
  client.on('message', (topic, payload) => {
    commands.onMessage(topic, payload);
    configs.onMessage(topic, payload);
    const parsed = parseGatewayTopic(topic);
    if (parsed?.kind !== 'status' || payload.length === 0) return;
    try {
      const status = decodeGatewayStatus(payload);
      if (status.configVersion) {
        const version = Number(status.configVersion);
        const stored = runSteps((function* () {
          if (yield* step(o.store.getGateway(parsed.gatewayId))) yield* step(o.store.setReportedConfigVersion(parsed.gatewayId, version));
        })());
        if (stored instanceof Promise) stored.catch((err: unknown) => statusFailed(parsed.gatewayId, err));
      }
    } catch (err) {
      o.log.debug({ topic, err: toError(err).message }, 'registry centre: undecodable status');
    }
  });
  const subscription = subscribeTracked(client, [topics.allStatus, topics.allCommandAcks], o.log, 'registry centre');
  commands.start();

  const renderAll = async (gatewayIds: Iterable<string>, reason: string): Promise<void> => {
    for (const id of gatewayIds) {
      if (!(await o.store.getGateway(id))) continue;
      try {
        const pushed = await configs.gatewayDevicesChanged(id, reason);
        if (pushed.outcome === 'pushed' && o.audit) recordConfigPushed(o.audit, { actor: 'registry', gatewayId: id, version: pushed.version });
      } catch (err) {
        o.log.error({ gatewayId: id, err: toError(err).message }, 'registry centre: config push failed');
        if (o.audit) recordConfigPushed(o.audit, { actor: 'registry', gatewayId: id, version: 'unrendered', result: 'failed' });
      }
    }
  };
  // One look at a time: over PostgreSQL a look is a query in flight.
  let looking = false;
  const look = async (): Promise<void> => {
    const changes = await o.store.changesSince(revision);
    const last = changes.at(-1);
    if (!last) return;
    revision = last.revision;
    const touched = new Set<string>();
    for (const c of changes) {
      const before = gatewayOf.get(c.id);
      if (before && before !== c.gatewayId) touched.add(before);
      touched.add(c.gatewayId);
      gatewayOf.set(c.id, c.gatewayId);
    }
    void renderAll(touched, 'registry changed');
  };
  const watch = setInterval(() => {
    if (looking) return;
    looking = true;
    look().catch((err: unknown) => o.log.warn({ err: toError(err).message }, 'registry centre: the registry could not be read; trying again'))
      .finally(() => { looking = false; });
  }, o.watchEveryMs ?? 1000);
  // Every registered gateway gets its current config once at start (unchanged content is not re-pushed).
  client.once('connect', () => {
    (async () => renderAll((await o.store.listGateways()).map((g) => g.id), 'centre started'))()
      .catch((err: unknown) => o.log.error({ err: toError(err).message }, 'registry centre: gateways not read at start'));
  });

  return {
    commands, configs, subscription,
    connected: () => client.connected,
    async stop() {
      clearInterval(watch);
      commands.stop();
      await client.endAsync(!client.connected); // a graceful end waits for pending QoS 1 pushes, which never finish before the first CONNACK
    },
  };
}

import mqtt, { type MqttClient } from 'mqtt';
import type { Registry } from 'prom-client';
import type { ProfileCatalogue } from '../device-profiles/index.ts';
import { decodeGatewayStatus, parseGatewayTopic, topics } from '../proto/index.ts';
import { Backoff, reconnectWithBackoff, recordConfigPushed, subscribeTracked, toError, type AuditLog, type Clock, type Logger, type MqttServiceAccount, type SubscriptionHealth } from '../service-kit/index.ts';
import { CommandCenter } from './commands/index.ts';
import { GatewayConfigPublisher, type ConfigDevice, type ConfigTransport } from './config-push/index.ts';
import type { RegisteredDevice } from './model.ts';
import type { RegistryStore } from './store.ts';

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

function configTransport(store: RegistryStore, d: RegisteredDevice): ConfigTransport | null {
  const t = d.transport;
  if (!t) return null;
  if (t.kind === 'modbus-tcp') return { kind: 'modbus-tcp', host: t.host, port: t.port, unitId: t.unit };
  if (t.kind === 'modbus-rtu') return { kind: 'modbus-rtu', line: t.line, unitId: t.unit };
  if (t.kind !== 'lorawan') return { kind: t.kind, address: t.meterAddress, line: t.line, host: t.host, port: t.port };
  const keys = store.revealLoraKeys(d.id);
  // The gateway config carries ABP sessions; an OTAA device joins through the gateway's own join server.
  if (!keys || keys.activation !== 'abp' || !t.devAddr) return null;
  return { kind: 'lorawan', devEui: t.devEui, devAddr: t.devAddr, nwkSKey: keys.nwkSKey, appSKey: keys.appSKey };
}

/** A gateway's polled devices as its config needs them; devices without a usable address stay out. */
export function gatewayConfigDevices(store: RegistryStore, gatewayId: string): ConfigDevice[] {
  const devices: ConfigDevice[] = [];
  for (const d of store.devicesOfGateway(gatewayId)) {
    if (!POLLED_STATES.has(d.state)) continue;
    const transport = configTransport(store, d);
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
  const client: MqttClient = mqtt.connect(o.mqtt.brokerUrl, {
    clientId: o.mqtt.clientId ?? 'tz-registry-centre', clean: false, username: o.mqtt.username, password: o.mqtt.password, protocolVersion: 4,
    reconnectPeriod: 500, reconnectOnConnackError: true, connectTimeout: 10_000,
  });
  reconnectWithBackoff(client, new Backoff(500, 30_000));
  client.on('error', (err) => o.log.warn({ err: err.message }, 'registry centre: broker connection error'));
  const channel = { publish: (topic: string, payload: Buffer, options: { qos: 1; retain?: boolean }) => client.publishAsync(topic, payload, options) };
  const commands = new CommandCenter({ db: o.store.db, profiles: o.profiles, channel, registry: o.metrics, log: o.log, clock: o.clock,
    lookupDevice: (id) => {
      const d = o.store.getDevice(id);
      return d && d.state !== 'retired' ? { gatewayId: d.gatewayId, profile: d.class } : undefined;
    } });
  const configs = new GatewayConfigPublisher({ db: o.store.db, profiles: o.profiles, channel: { publish: (t, p, opts) => channel.publish(t, p, opts) }, registry: o.metrics, log: o.log, clock: o.clock,
    gatewayDevices: (id) => {
      const gateway = o.store.getGateway(id);
      if (!gateway) return undefined;
      return { gateway: { id }, devices: gatewayConfigDevices(o.store, id) };
    } });
  client.on('message', (topic, payload) => {
    commands.onMessage(topic, payload);
    configs.onMessage(topic, payload);
    const parsed = parseGatewayTopic(topic);
    if (parsed?.kind !== 'status' || payload.length === 0) return;
    try {
      const status = decodeGatewayStatus(payload);
      if (status.configVersion && o.store.getGateway(parsed.gatewayId)) o.store.setReportedConfigVersion(parsed.gatewayId, Number(status.configVersion));
    } catch (err) {
      o.log.debug({ topic, err: toError(err).message }, 'registry centre: undecodable status');
    }
  });
  const subscription = subscribeTracked(client, [topics.allStatus, topics.allCommandAcks], o.log, 'registry centre');
  commands.start();

  // Which gateway each device hangs on, to re-render the old gateway on a move.
  const gatewayOf = new Map(o.store.listDevices().map((d) => [d.id, d.gatewayId]));
  let revision = o.store.revision();
  const renderAll = async (gatewayIds: Iterable<string>, reason: string): Promise<void> => {
    for (const id of gatewayIds) {
      if (!o.store.getGateway(id)) continue;
      try {
        const pushed = await configs.gatewayDevicesChanged(id, reason);
        if (pushed.outcome === 'pushed' && o.audit) recordConfigPushed(o.audit, { actor: 'registry', gatewayId: id, version: pushed.version });
      } catch (err) {
        o.log.error({ gatewayId: id, err: toError(err).message }, 'registry centre: config push failed');
        if (o.audit) recordConfigPushed(o.audit, { actor: 'registry', gatewayId: id, version: 'unrendered', result: 'failed' });
      }
    }
  };
  const watch = setInterval(() => {
    const changes = o.store.changesSince(revision);
    if (changes.length === 0) return;
    revision = changes.at(-1)!.revision;
    const touched = new Set<string>();
    for (const c of changes) {
      const before = gatewayOf.get(c.id);
      if (before && before !== c.gatewayId) touched.add(before);
      touched.add(c.gatewayId);
      gatewayOf.set(c.id, c.gatewayId);
    }
    void renderAll(touched, 'registry changed');
  }, o.watchEveryMs ?? 1000);
  // Every registered gateway gets its current config once at start (unchanged content is not re-pushed).
  client.once('connect', () => void renderAll(o.store.listGateways().map((g) => g.id), 'centre started'));

  return {
    commands, configs, subscription,
    connected: () => client.connected,
    async stop() {
      clearInterval(watch);
      commands.stop();
      await client.endAsync();
    },
  };
}

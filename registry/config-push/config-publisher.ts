import type Database from 'better-sqlite3';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ProfileCatalogue } from '../../device-profiles/index.ts';
import { decodeGatewayStatus, encodeGatewayConfig, parseGatewayTopic, topics, type GatewayStatus } from '../../proto/index.ts';
import { TzError, toError, type Clock, type Logger } from '../../service-kit/index.ts';
import { GatewayConfigLedger, type GatewayConfigRecord } from './config-ledger.ts';
import { renderGatewayConfig, type ConfigDevice, type ConfigGateway } from './render.ts';

/** What publishing needs from an MQTT client (mqtt.js `publishAsync` fits). */
export interface ConfigPublishChannel {
  publish(topic: string, payload: Buffer, options: { qos: 1; retain: true }): Promise<unknown>;
}

export interface GatewayDevices { gateway: ConfigGateway; devices: ConfigDevice[] }

export interface GatewayConfigPublisherDeps {
  db: Database.Database;
  profiles: ProfileCatalogue;
  channel: ConfigPublishChannel;
  /** The registry's view: a gateway (with its defaults) and its devices now; undefined = unknown gateway. */
  gatewayDevices?: (gatewayId: string) => GatewayDevices | undefined | Promise<GatewayDevices | undefined>;
  registry: Registry;
  log: Logger;
  clock: Clock;
  /** Largest config payload published, bytes (default: under the broker's default 256 KiB packet limit). */
  maxPayloadBytes?: number;
}

// The broker closes a connection that sends a packet over its limit (broker/
// DEFAULT_MAX_PACKET_SIZE, 256 KiB); a QoS 1 retry would be closed again and
// again. A config that does not fit is refused here, counted and explained.
const MAX_CONFIG_BYTES = 256 * 1024 - 1024;

export type PushOutcome =
  | { outcome: 'pushed'; version: number; contentHash: string; devices: number }
  | { outcome: 'unchanged'; version: number; contentHash: string; devices: number };

export type ConfigSyncState = 'in-sync' | 'pending' | 'refused';

export interface GatewayConfigView extends GatewayConfigRecord {
  state: ConfigSyncState;
}

/**
 * Pushes each gateway's device list as a retained GatewayConfig (QoS 1) on
 * tz/v1/gw/{id}/down/config and follows what the gateways report in their
 * retained GatewayStatus (config_version, config_rejected_*): desired vs
 * applied version per gateway. At-least-once: the retained message is there
 * for a gateway that is offline now; it applies it when it reconnects, and a
 * redelivery of the same version is a no-op at the gateway.
 */
export class GatewayConfigPublisher {
  private readonly ledger: GatewayConfigLedger;
  private readonly pushed: Counter<'outcome'>;
  private readonly reports: Counter<'outcome'>;

  constructor(private readonly deps: GatewayConfigPublisherDeps) {
    this.ledger = new GatewayConfigLedger(deps.db);
    const registers = [deps.registry];
    this.pushed = new Counter({ name: 'tz_config_pushes_total', help: 'GatewayConfig pushes, by outcome (pushed, unchanged, invalid, too-large, publish-failed)', labelNames: ['outcome'] as const, registers });
    this.reports = new Counter({ name: 'tz_config_reports_total', help: 'Gateway answers to pushed configs, by outcome (applied, refused)', labelNames: ['outcome'] as const, registers });
    const ledger = this.ledger;
    new Gauge({
      name: 'tz_config_gateways', help: 'Gateways with a pushed config, by state (in-sync, pending, refused)', labelNames: ['state'] as const, registers,
      collect() {
        const counts: Record<ConfigSyncState, number> = { 'in-sync': 0, pending: 0, refused: 0 };
        for (const r of ledger.all()) counts[syncState(r)]++;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
  }

  /**
   * Renders and pushes a gateway's config when its content changed (by hash);
   * throws TZ_CONFIG_INVALID with the problems when the list does not fit the
   * profiles (nothing is pushed then).
   */
  async push(gateway: ConfigGateway, devices: readonly ConfigDevice[], reason = ''): Promise<PushOutcome> {
    const { config, problems } = renderGatewayConfig(gateway, devices, this.deps.profiles);
    if (problems.length > 0) {
      this.pushed.inc({ outcome: 'invalid' });
      throw new TzError('TZ_CONFIG_INVALID', `gateway ${gateway.id}: config not pushed:\n  ${problems.join('\n  ')}`, { details: { problems } });
    }
    const previous = this.ledger.get(gateway.id);
    const count = config.devices?.length ?? 0;
    if (previous && previous.contentHash === config.contentHash) {
      this.pushed.inc({ outcome: 'unchanged' });
      return { outcome: 'unchanged', version: previous.desiredVersion, contentHash: config.contentHash, devices: count };
    }
    const version = (previous?.desiredVersion ?? 0) + 1;
    const now = this.deps.clock.now();
    const payload = Buffer.from(encodeGatewayConfig({ ...config, version, issuedAtMs: now, reason }));
    const limit = this.deps.maxPayloadBytes ?? MAX_CONFIG_BYTES;
    if (payload.length > limit) {
      this.pushed.inc({ outcome: 'too-large' });
      throw new TzError('TZ_CONFIG_INVALID', `gateway ${gateway.id}: config of ${count} devices is ${payload.length} bytes, over the ${limit}-byte limit of one MQTT packet: not pushed (spread the devices over more gateways)`, { details: { bytes: payload.length, limit, devices: count } });
    }
    try {
      await this.deps.channel.publish(topics.config(gateway.id), payload, { qos: 1, retain: true });
    } catch (err) {
      this.pushed.inc({ outcome: 'publish-failed' });
      throw new TzError('TZ_BROKER_UNREACHABLE', `gateway ${gateway.id}: config v${version} not published: ${toError(err).message}`, { cause: err });
    }
    // Recorded after the broker took it (PUBACK): a failed publish does not burn a version.
    this.ledger.desired(gateway.id, version, config.contentHash, count, now, reason);
    this.pushed.inc({ outcome: 'pushed' });
    this.deps.log.info({ gatewayId: gateway.id, version, devices: count, reason }, 'gateway config pushed');
    return { outcome: 'pushed', version, contentHash: config.contentHash, devices: count };
  }

  /** For the registry API: a gateway's devices changed; render from the registry and push if different. */
  async gatewayDevicesChanged(gatewayId: string, reason = ''): Promise<PushOutcome> {
    const found = await this.deps.gatewayDevices?.(gatewayId);
    if (!found) throw new TzError('TZ_DEVICE_UNKNOWN', `no gateway ${gatewayId} in the registry`);
    return this.push(found.gateway, found.devices, reason);
  }

  /** A GatewayStatus from up/status: record applied / refused versions. */
  onStatus(status: GatewayStatus): void {
    const gatewayId = String(status.gatewayId ?? '');
    const record = this.ledger.get(gatewayId);
    if (!record) return; // a gateway we never pushed to (runs its YAML)
    const applied = Number(status.configVersion ?? 0);
    const refused = Number(status.configRejectedVersion ?? 0);
    const reason = String(status.configRejectedReason ?? '');
    if (applied === record.appliedVersion && refused === record.refusedVersion) return;
    if (applied !== record.appliedVersion && applied === record.desiredVersion) {
      this.reports.inc({ outcome: 'applied' });
      this.deps.log.info({ gatewayId, version: applied }, 'gateway applied its config');
    }
    if (refused !== record.refusedVersion && refused === record.desiredVersion) {
      this.reports.inc({ outcome: 'refused' });
      this.deps.log.warn({ gatewayId, version: refused, reason }, 'gateway refused its config');
    }
    this.ledger.reported(gatewayId, applied, refused, reason, this.deps.clock.now());
  }

  /** An MQTT message; feed it everything from tz/v1/gw/+/up/status. */
  onMessage(topic: string, payload: Buffer): void {
    const parsed = parseGatewayTopic(topic);
    if (!parsed || parsed.kind !== 'status' || payload.length === 0) return;
    try {
      const status = decodeGatewayStatus(payload);
      if (status.gatewayId === parsed.gatewayId) this.onStatus(status);
    } catch (err) {
      this.deps.log.debug({ topic, err: toError(err).message }, 'undecodable gateway status ignored');
    }
  }

  state(gatewayId: string): GatewayConfigView | undefined {
    const r = this.ledger.get(gatewayId);
    return r ? { ...r, state: syncState(r) } : undefined;
  }

  /** Every gateway with a pushed config; `pending` = not yet applied nor refused. */
  list(filter?: ConfigSyncState): GatewayConfigView[] {
    return this.ledger.all().map((r) => ({ ...r, state: syncState(r) })).filter((v) => !filter || v.state === filter);
  }
}

function syncState(r: GatewayConfigRecord): ConfigSyncState {
  if (r.appliedVersion === r.desiredVersion) return 'in-sync';
  if (r.refusedVersion === r.desiredVersion) return 'refused';
  return 'pending';
}

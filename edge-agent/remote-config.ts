import { Counter, type Registry } from 'prom-client';
import { decodeGatewayConfig, encodeGatewayConfig, gatewayConfigContentHash, type GatewayConfig, type IConfigDevice } from '../proto/index.ts';
import { TzError, toError, type Clock, type Logger } from '../service-kit/index.ts';
import { parseEdgeAgentConfig, type EdgeAgentConfig } from './config.ts';
import type { GatewayDatabase } from './gateway-database.ts';

// Gateway configuration from the centre (issue 15): the registry renders a
// gateway's device list into a protobuf GatewayConfig, retained on
// tz/v1/gw/{id}/down/config. The local YAML is then only the bootstrap
// (broker, credentials, serial lines, data dir, defaults); the pushed device
// list REPLACES the YAML's devices. A config is applied through the same path
// as SIGHUP (inputs stop, the open batch is sealed, the disk queue is not
// touched) and kept in the gateway database so it survives a restart. A
// config that does not validate is refused with its reason in GatewayStatus
// and the running config stays. A gateway that never gets one runs its YAML.

export type RemoteConfigOutcome = 'applied' | 'refused' | 'stale' | 'duplicate' | 'undecodable' | 'persist-failed';

export interface RemoteConfigState {
  /** Version running now (0 = none: the YAML's devices). */
  version: number;
  hash: string;
  /** Last refused version and why (0 = none refused since start). */
  rejectedVersion: number;
  rejectedReason: string;
}

export interface RemoteConfigOptions {
  gatewayId: string;
  db: GatewayDatabase;
  registry: Registry;
  log: Logger;
  clock: Clock;
  /** Applies an effective agent config (the SIGHUP path); throws TZ_CONFIG_INVALID to refuse. */
  apply: (config: EdgeAgentConfig) => Promise<void>;
  /** The bootstrap (YAML) config the pushed one is merged over. */
  bootstrap: () => EdgeAgentConfig;
  /** Called after every applied or refused config (the agent publishes its status at once). */
  onChanged: () => void;
}

function toAgentDevice(d: IConfigDevice): Record<string, unknown> {
  const out: Record<string, unknown> = { deviceId: d.deviceId ?? '', profile: d.profile ?? '', district: d.district ?? '' };
  if (d.modbusTcp) out.modbus = { host: d.modbusTcp.host ?? '', port: d.modbusTcp.port ?? 0, unitId: d.modbusTcp.unitId ?? 0 };
  if (d.modbusRtu) out.modbus = { line: d.modbusRtu.line ?? '', unitId: d.modbusRtu.unitId ?? 0 };
  if (d.lora) out.lora = { devAddr: d.lora.devAddr ?? '', nwkSKey: d.lora.nwkSKey ?? '', appSKey: d.lora.appSKey ?? '' };
  if (d.fieldMeter) {
    const m = d.fieldMeter;
    out.field = { transport: m.protocol ?? '', address: m.address ?? '', ...(m.line ? { line: m.line } : { host: m.host ?? '', port: m.port ?? 0 }) };
  }
  if (d.pollIntervalMs) out.pollIntervalMs = d.pollIntervalMs;
  const report: Record<string, unknown> = {};
  if (d.deadbands && Object.keys(d.deadbands).length > 0) report.deadbands = { ...d.deadbands };
  if (d.maxIntervalS) report.maxIntervalS = d.maxIntervalS;
  if (Object.keys(report).length > 0) out.report = report;
  return out;
}

/**
 * The effective agent config: the bootstrap with the pushed device list,
 * poll interval and deadbands. Validated by the same schema as the YAML
 * (duplicate ids and DevAddrs, unknown serial lines, address ranges); throws
 * TZ_CONFIG_INVALID naming each problem by `devices.N.path`.
 */
export function mergeGatewayConfig(bootstrap: EdgeAgentConfig, remote: GatewayConfig): EdgeAgentConfig {
  const merged = {
    ...bootstrap,
    devices: (remote.devices ?? []).map(toAgentDevice),
    pollIntervalMs: remote.pollIntervalMs || bootstrap.pollIntervalMs,
    report: { ...bootstrap.report, deadbands: { ...bootstrap.report.deadbands, ...(remote.deadbands ?? {}) } },
  };
  return parseEdgeAgentConfig(merged, `GatewayConfig v${Number(remote.version)}`);
}

/** Checks that do not need the profiles: addressed to us, hash matches the content. Null = fine. */
function envelopeProblem(gatewayId: string, remote: GatewayConfig): string | null {
  if (remote.gatewayId !== gatewayId) return `config is for gateway "${remote.gatewayId}", this is "${gatewayId}"`;
  if (!(Number(remote.version) > 0)) return 'config version must be 1 or more';
  const hash = gatewayConfigContentHash(remote);
  if (remote.contentHash !== hash) return `content hash ${remote.contentHash || '(none)'} does not match the content (${hash})`;
  return null;
}

/** Receives, checks, applies, persists and reports pushed GatewayConfigs; one at a time, in arrival order. */
export class RemoteGatewayConfig {
  readonly state: RemoteConfigState = { version: 0, hash: '', rejectedVersion: 0, rejectedReason: '' };
  /** The config running now (null: the YAML's devices). */
  active: GatewayConfig | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly outcomes: Counter<'outcome'>;

  constructor(private readonly opts: RemoteConfigOptions) {
    opts.db.exec('CREATE TABLE IF NOT EXISTS remote_config (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, payload BLOB NOT NULL, applied_at INTEGER NOT NULL)');
    this.outcomes = new Counter({ name: 'tz_edge_remote_configs_total', help: 'GatewayConfigs received from the centre, by outcome', labelNames: ['outcome'] as const, registers: [opts.registry] });
  }

  /** GatewayStatus fields (config_version, config_rejected_*). */
  statusFields(): { configVersion: number; configRejectedVersion: number; configRejectedReason: string } {
    return { configVersion: this.state.version, configRejectedVersion: this.state.rejectedVersion, configRejectedReason: this.state.rejectedReason };
  }

  /**
   * At start: the effective config from the last applied GatewayConfig kept in
   * the database, or the bootstrap when there is none or it no longer fits
   * the bootstrap (then it is reported as refused and the YAML runs).
   */
  startupConfig(bootstrap: EdgeAgentConfig): EdgeAgentConfig {
    const row = this.opts.db.prepare<[], { payload: Buffer }>('SELECT payload FROM remote_config WHERE id = 1').get();
    if (!row) return bootstrap;
    let remote: GatewayConfig;
    try {
      remote = decodeGatewayConfig(row.payload);
      const problem = envelopeProblem(this.opts.gatewayId, remote);
      if (problem) throw new TzError('TZ_CONFIG_INVALID', problem);
      const merged = mergeGatewayConfig(bootstrap, remote);
      this.markApplied(remote);
      this.opts.log.info({ configVersion: this.state.version, devices: merged.devices.length }, 'running the GatewayConfig kept from before the restart');
      return merged;
    } catch (err) {
      const reason = `kept config no longer valid: ${toError(err).message}`;
      this.opts.log.error({ reason }, 'kept GatewayConfig refused at start; running the YAML devices');
      this.state.rejectedReason = reason;
      return bootstrap;
    }
  }

  /** The kept config failed to start (e.g. its profiles are gone): report it and forget it as running. */
  startupFailed(err: unknown): void {
    this.state.rejectedVersion = this.state.version;
    this.state.rejectedReason = `kept config does not start: ${toError(err).message}`;
    this.state.version = 0;
    this.state.hash = '';
    this.active = null;
    this.outcomes.inc({ outcome: 'refused' });
  }

  /** A message on down/config; handled after the previous one finished. */
  handle(payload: Buffer): Promise<void> {
    this.chain = this.chain.then(() => this.receive(payload)).catch((err) => {
      this.opts.log.error({ err: toError(err).message }, 'GatewayConfig handling failed');
    });
    return this.chain;
  }

  private async receive(payload: Buffer): Promise<void> {
    const { log } = this.opts;
    if (payload.length === 0) return; // an empty retained message clears the topic; nothing to apply
    let remote: GatewayConfig;
    try {
      remote = decodeGatewayConfig(payload);
    } catch (err) {
      this.outcomes.inc({ outcome: 'undecodable' });
      log.warn({ err: toError(err).message, bytes: payload.length }, 'down/config is not a valid GatewayConfig; ignored');
      return;
    }
    const version = Number(remote.version);
    if (version > 0 && version === this.state.version && remote.contentHash === this.state.hash) {
      this.outcomes.inc({ outcome: 'duplicate' });
      return; // the retained copy again after a reconnect
    }
    if (version > 0 && version === this.state.rejectedVersion) {
      this.outcomes.inc({ outcome: 'duplicate' });
      return;
    }
    if (version > 0 && version <= this.state.version) {
      this.outcomes.inc({ outcome: 'stale' });
      log.warn({ version, running: this.state.version }, 'GatewayConfig older than the running one; ignored');
      return;
    }
    const problem = envelopeProblem(this.opts.gatewayId, remote);
    if (problem) return this.refuse(version, problem);
    try {
      await this.opts.apply(mergeGatewayConfig(this.opts.bootstrap(), remote));
    } catch (err) {
      return this.refuse(version, toError(err).message);
    }
    this.markApplied(remote);
    this.persist(remote);
    this.outcomes.inc({ outcome: 'applied' });
    log.info({ configVersion: version, devices: remote.devices.length, reason: remote.reason || undefined }, 'GatewayConfig applied');
    this.opts.onChanged();
  }

  private markApplied(remote: GatewayConfig): void {
    this.active = remote;
    this.state.version = Number(remote.version);
    this.state.hash = remote.contentHash;
  }

  private persist(remote: GatewayConfig): void {
    try {
      // One row, replaced in one transaction (WAL, synchronous=FULL): after a crash the old or the new config, never half.
      this.opts.db.prepare('INSERT OR REPLACE INTO remote_config (id, version, payload, applied_at) VALUES (1, ?, ?, ?)')
        .run(Number(remote.version), Buffer.from(encodeGatewayConfig(remote)), this.opts.clock.now());
    } catch (err) {
      this.outcomes.inc({ outcome: 'persist-failed' });
      this.opts.log.error({ err: toError(err).message, configVersion: Number(remote.version) }, 'GatewayConfig applied but not kept on disk; after a restart the previous one runs until the centre pushes again');
    }
  }

  private refuse(version: number, reason: string): void {
    this.state.rejectedVersion = version;
    this.state.rejectedReason = reason;
    this.outcomes.inc({ outcome: 'refused' });
    this.opts.log.warn({ configVersion: version, running: this.state.version, reason }, 'GatewayConfig refused; the running config stays');
    this.opts.onChanged();
  }
}

import { decodeGatewayStatus, tz, type GatewayConnectionEvent } from '../proto/index.ts';
import type { Logger } from '../service-kit/index.ts';
import type { AlarmLifecycle } from './alarm-lifecycle.ts';
import type { GatewayRow, SqliteRulesStore } from './sqlite-store.ts';

// Gateway connectivity, from the broker's tz/v1/events/gateway (connect /
// disconnect per client id, ordered by connectionSeq: a disconnect of an older
// connection than the last connect is stale and ignored) and the retained
// tz/v1/gw/{id}/up/status (the last will says OFFLINE). An offline gateway is
// one alarm; its devices' no-data alarms are suppressed and linked to it.

export class GatewayTopology {
  private readonly gateways = new Map<string, GatewayRow>();

  constructor(private readonly store: SqliteRulesStore, private readonly alarms: AlarmLifecycle, private readonly log: Logger, private readonly now: () => number) {
    for (const g of store.gateways()) this.gateways.set(g.gatewayId, g);
  }

  /** Open gateway-offline alarm id of an offline gateway, else null. */
  alarmOf(gatewayId: string): number | null {
    const g = this.gateways.get(gatewayId);
    return g && !g.online ? g.alarmId : null;
  }

  isOnline(gatewayId: string): boolean | undefined {
    return this.gateways.get(gatewayId)?.online;
  }

  /** JSON GatewayConnectionEvent: applied, stale (ignored) or malformed. */
  onConnectionEvent(payload: Uint8Array): 'applied' | 'stale' | 'malformed' {
    let e: GatewayConnectionEvent;
    try {
      e = JSON.parse(Buffer.from(payload).toString('utf8')) as GatewayConnectionEvent;
    } catch {
      return 'malformed';
    }
    if ((e.type !== 'connected' && e.type !== 'disconnected') || typeof e.gatewayId !== 'string' || typeof e.connectionSeq !== 'number') return 'malformed';
    const at = Date.parse(e.at);
    const g = this.gateways.get(e.gatewayId);
    if (g && g.clientId === e.clientId && e.connectionSeq < g.connectionSeq) return 'stale';
    this.set(e.gatewayId, e.type === 'connected', Number.isFinite(at) ? at : this.now(), e.clientId, e.connectionSeq);
    return 'applied';
  }

  /** Retained protobuf GatewayStatus; OFFLINE is the broker's last will. */
  onStatus(gatewayId: string, payload: Uint8Array): boolean {
    if (payload.length === 0) return false; // a cleared retained message
    const status = decodeGatewayStatus(payload);
    if (status.state === tz.GatewayState.GATEWAY_STATE_UNKNOWN) return false;
    const g = this.gateways.get(gatewayId);
    const online = status.state === tz.GatewayState.GATEWAY_STATE_ONLINE;
    const at = Number(status.timestampMs) || this.now();
    // A status older than what we know (a retained message replayed on resubscribe) changes nothing.
    if (g && at < g.since) return false;
    this.set(gatewayId, online, at, g?.clientId ?? null, g?.connectionSeq ?? 0);
    return true;
  }

  private set(gatewayId: string, online: boolean, at: number, clientId: string | null, connectionSeq: number): void {
    const before = this.gateways.get(gatewayId);
    const row: GatewayRow = { gatewayId, online, clientId, connectionSeq, since: before && before.online === online ? before.since : at, alarmId: before?.alarmId ?? null };
    if (!before || before.online !== online) {
      if (online) {
        this.alarms.gatewayOnline(gatewayId, at);
        row.alarmId = null;
      } else {
        row.alarmId = this.alarms.gatewayOffline(gatewayId, at).id;
      }
      this.log.info({ gatewayId, online, at: new Date(at).toISOString() }, online ? 'rules: gateway online' : 'rules: gateway offline');
    }
    this.gateways.set(gatewayId, row);
    this.store.putGateway(row);
  }
}

import { decodeGatewayStatus, tz, type GatewayConnectionEvent } from '../proto/index.ts';
import { toError, type Logger } from '../service-kit/index.ts';
import type { AlarmLifecycle } from './alarm-lifecycle.ts';
import { runSteps, step, type AlarmRecords, type GatewayRow, type Maybe, type Steps } from './rules-store.ts';

// Gateway connectivity, from the broker's tz/v1/events/gateway (connect /
// disconnect per client id, ordered by connectionSeq: a disconnect of an older
// connection than the last connect is stale and ignored) and the retained
// tz/v1/gw/{id}/up/status (the last will says OFFLINE). An offline gateway is
// one alarm; its devices' no-data alarms are suppressed and linked to it.
// Known state is in memory at once; with an asynchronous store its alarm
// changes are stored one after another (`pending()` holds the PUBACK).

export class GatewayTopology {
  private readonly gateways = new Map<string, GatewayRow>();
  private lane: Promise<void> | undefined;

  constructor(private readonly store: Pick<AlarmRecords, 'gateways' | 'putGateway'>, private readonly alarms: AlarmLifecycle, private readonly log: Logger, private readonly now: () => number) {}

  /** Reads the known gateways (at start). */
  load(): Maybe<void> {
    const fill = (rows: GatewayRow[]) => { for (const g of rows) this.gateways.set(g.gatewayId, g); };
    const rows = this.store.gateways();
    return rows instanceof Promise ? rows.then(fill) : fill(rows);
  }

  /** Gateway changes still being stored (asynchronous store). */
  pending(): Promise<void> | undefined {
    return this.lane;
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
    const changed = !before || before.online !== online;
    if (changed) this.log.info({ gatewayId, online, at: new Date(at).toISOString() }, online ? 'rules: gateway online' : 'rules: gateway offline');
    if (online) row.alarmId = null;
    this.gateways.set(gatewayId, row);
    if (this.lane === undefined) {
      const done = runSteps(this.storeChange(row, changed, at));
      if (!(done instanceof Promise)) return;
      this.track(done);
    } else {
      this.track(this.lane.then(() => runSteps(this.storeChange(row, changed, at))));
    }
  }

  private track(p: Promise<void>): void {
    const lane: Promise<void> = p.catch((err: unknown) => {
      this.log.error({ err: toError(err).message }, 'rules: gateway change not stored');
    }).finally(() => {
      if (this.lane === lane) this.lane = undefined;
    });
    this.lane = lane;
  }

  private *storeChange(row: GatewayRow, changed: boolean, at: number): Steps<void> {
    if (changed) {
      if (row.online) yield* step(this.alarms.gatewayOnline(row.gatewayId, at));
      else row.alarmId = (yield* step(this.alarms.gatewayOffline(row.gatewayId, at))).id;
    }
    yield* step(this.store.putGateway(row));
  }
}

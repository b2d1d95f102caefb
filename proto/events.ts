// JSON events that cross process boundaries besides the protobuf telemetry.
// Like the .proto files: fields are only ever added.

/**
 * Published by the broker on `tz/v1/events/gateway` (QoS 1, not retained) when
 * a gateway's MQTT client connects or disconnects. Connects and disconnects of
 * one client id can arrive out of order (a reconnect races the old socket's
 * close): order them by `connectionSeq` — a disconnect of an older connection
 * than the last connect seen is stale and must be ignored.
 */
export interface GatewayConnectionEvent {
  type: 'connected' | 'disconnected';
  gatewayId: string;
  clientId: string;
  /** Broker node that saw it (several nodes may serve one city). */
  brokerId: string;
  /** Increases with every new connection of this client id; a disconnect carries its connection's number. */
  connectionSeq: number;
  /** Why a disconnect happened: 'client' (DISCONNECT packet), 'error', 'timeout', 'takeover' (same id connected again). */
  reason?: string;
  /** ISO 8601 UTC. */
  at: string;
}

/** Alarm as published on `tz/v1/events/alarm` and returned by `GET /api/v1/alarms` (ISO 8601 times). */
export interface AlarmView {
  id: string;
  ruleId: string;
  ruleName: string;
  severity: 'info' | 'warning' | 'critical';
  state: 'active' | 'acknowledged' | 'cleared' | 'closed';
  deviceId: string;
  gatewayId: string;
  district: string;
  profile: string;
  count: number;
  raisedAt: string;
  lastSeenAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  clearedAt: string | null;
  lastValues: Record<string, number | boolean>;
  /** The readings that triggered it. */
  evidence: Array<{ timestamp: string; values: Record<string, number | boolean> }>;
  /** Case settings from the rule: a case is opened when `case` is set. */
  case?: { category: string; priority: string } | null;
  /** Incident (group of alarms on one asset) this alarm belongs to. */
  incidentId?: string | null;
  caseId?: string | null;
  createdAt: string;
  updatedAt: string;
  /** Severity of the rule before escalation. */
  baseSeverity?: 'info' | 'warning' | 'critical';
  /** Who or what cleared it ('rules-engine', a rule change, …). */
  clearedBy?: string | null;
  /** Closed by its case (terminal): when, by whom, why. */
  closedAt?: string | null;
  closedBy?: string | null;
  /** Held open because it cleared and re-fired too often (flapping). */
  flapping?: boolean;
  /** A no-data alarm suppressed by this gateway-offline alarm (its devices' silence has one cause). */
  suppressedBy?: string | null;
  /** Raised because the device stopped reporting. */
  noData?: boolean;
  /** Where the device stands (WGS-84), when the producer knows it from the device registry. */
  place?: AlarmPlace | null;
  /** Raised while this silence / maintenance window was in force: recorded, no case, no alert. */
  silencedBy?: string | null;
}

/** A device's place as alarms and cases carry it (district and grid cell 网格 of the city plan). */
export interface AlarmPlace {
  lat: number;
  lon: number;
  address?: string | null;
  district?: string | null;
  gridCell?: string | null;
}

/**
 * An alarm state change. Rules publishes it on `tz/v1/events/alarm` and hands it,
 * in-process, to alarm sinks (the case system) at least once: `eventId` is
 * unique per change, so a sink de-duplicates by it.
 */
export interface AlarmEvent {
  eventId: string;
  type: 'raised' | 'updated' | 'acknowledged' | 'escalated' | 'cleared' | 'closed';
  at: string;
  alarm: AlarmView;
}

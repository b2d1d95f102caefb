// The MQTT topic tree (ARCHITECTURE.md "Topics"); versioned, a gateway owns
// its own branch tz/v1/gw/{gatewayId}/.
export const TOPIC_ROOT = 'tz/v1';

/** Gateway ids and device ids: short, no MQTT wildcards or separators. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const topics = {
  batch: (gatewayId: string) => `${TOPIC_ROOT}/gw/${gatewayId}/up/batch`,
  status: (gatewayId: string) => `${TOPIC_ROOT}/gw/${gatewayId}/up/status`,
  commandAck: (gatewayId: string) => `${TOPIC_ROOT}/gw/${gatewayId}/up/cmdack`,
  command: (gatewayId: string) => `${TOPIC_ROOT}/gw/${gatewayId}/down/cmd`,
  /** Centre → gateway: protobuf GatewayConfig, QoS 1, retained (issue 15). */
  config: (gatewayId: string) => `${TOPIC_ROOT}/gw/${gatewayId}/down/config`,
  alarmEvents: `${TOPIC_ROOT}/events/alarm`,
  /** Broker → services: a gateway's MQTT client connected or disconnected (JSON GatewayConnectionEvent). */
  gatewayEvents: `${TOPIC_ROOT}/events/gateway`,
  /** Case system → a crew's devices: JSON CaseNotification (issue 7). */
  crewCases: (crewId: string) => `${TOPIC_ROOT}/crews/${crewId}/cases`,
  /** Subscription filters for cloud services. */
  allBatches: `${TOPIC_ROOT}/gw/+/up/batch`,
  allStatus: `${TOPIC_ROOT}/gw/+/up/status`,
  allUplink: `${TOPIC_ROOT}/gw/+/up/#`,
  allCommandAcks: `${TOPIC_ROOT}/gw/+/up/cmdack`,
} as const;

export type GatewayTopicKind = 'batch' | 'status' | 'cmdack' | 'cmd' | 'config';

export interface ParsedGatewayTopic {
  gatewayId: string;
  direction: 'up' | 'down';
  kind: GatewayTopicKind;
}

/** Parses tz/v1/gw/{id}/{up|down}/{kind}; null for anything else. */
export function parseGatewayTopic(topic: string): ParsedGatewayTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 6 || parts[0] !== 'tz' || parts[1] !== 'v1' || parts[2] !== 'gw') return null;
  const [, , , gatewayId, direction, kind] = parts as [string, string, string, string, string, string];
  if (!ID_PATTERN.test(gatewayId)) return null;
  if (direction === 'up' && (kind === 'batch' || kind === 'status' || kind === 'cmdack')) return { gatewayId, direction, kind };
  if (direction === 'down' && (kind === 'cmd' || kind === 'config')) return { gatewayId, direction, kind };
  return null;
}

// The branch of devices that connect by themselves (no gateway agent): a
// device owns tz/v1/dev/{deviceId}/ and speaks JSON there; the device gateway
// (ingest/direct-devices) turns it into UplinkBatches on its own virtual
// gateway branch tz/v1/gw/{deviceGatewayId}/, so the rest of the cloud sees
// one wire contract.
import { ID_PATTERN, TOPIC_ROOT } from './topics.ts';

export const deviceTopics = {
  /** device → cloud: one JSON reading (the profile's `json.codec` decodes it), QoS 1. */
  upJson: (deviceId: string) => `${TOPIC_ROOT}/dev/${deviceId}/up/json`,
  /** cloud → device: JSON command `{commandId, name, params, expiresAtMs?}`, QoS 1. */
  downCommand: (deviceId: string) => `${TOPIC_ROOT}/dev/${deviceId}/down/cmd`,
  /** Subscription filter of the device gateway. */
  allUpJson: `${TOPIC_ROOT}/dev/+/up/json`,
} as const;

export interface ParsedDeviceTopic {
  deviceId: string;
  direction: 'up' | 'down';
  kind: 'json' | 'cmd';
}

/** Parses tz/v1/dev/{id}/up/json and tz/v1/dev/{id}/down/cmd; null for anything else. */
export function parseDeviceTopic(topic: string): ParsedDeviceTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 6 || parts[0] !== 'tz' || parts[1] !== 'v1' || parts[2] !== 'dev') return null;
  const [, , , deviceId, direction, kind] = parts as [string, string, string, string, string, string];
  if (!ID_PATTERN.test(deviceId)) return null;
  if (direction === 'up' && kind === 'json') return { deviceId, direction, kind };
  if (direction === 'down' && kind === 'cmd') return { deviceId, direction, kind };
  return null;
}

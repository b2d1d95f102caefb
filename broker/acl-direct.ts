// Topic policy of devices that connect by themselves (role `device`) and of
// the device gateway that speaks for them (role `device-gateway`). Deny by
// default, like acl.ts: a device touches only tz/v1/dev/{itself}/; the device
// gateway reads every device's up branch, writes their down branches, and is
// a gateway on its own branch tz/v1/gw/{its username}/.
import { parseDeviceTopic, parseGatewayTopic, TOPIC_ROOT } from '../proto/index.ts';
import type { AclDenial, BrokerIdentity } from './acl.ts';
import type { BrokerRole } from './users.ts';

export type DirectRole = 'device' | 'device-gateway';

export function isDirectRole(role: BrokerRole): role is DirectRole {
  return role === 'device' || role === 'device-gateway';
}

const DEV_BRANCH = `${TOPIC_ROOT}/dev/`;

export function checkDirectPublish(who: BrokerIdentity, topic: string): AclDenial | null {
  if (who.role === 'device') {
    const parsed = parseDeviceTopic(topic);
    if (parsed && parsed.direction === 'up' && parsed.deviceId === who.username) return null;
    return topic.startsWith(DEV_BRANCH) && !topic.startsWith(`${DEV_BRANCH}${who.username}/`) ? 'foreign-branch' : 'not-allowed';
  }
  const dev = parseDeviceTopic(topic);
  if (dev) return dev.direction === 'down' ? null : 'not-allowed';
  const gw = parseGatewayTopic(topic);
  if (gw && gw.direction === 'up' && gw.gatewayId === who.username) return null;
  return topic.startsWith(`${TOPIC_ROOT}/gw/`) ? 'foreign-branch' : 'not-allowed';
}

export function checkDirectSubscribe(who: BrokerIdentity, filter: string): AclDenial | null {
  if (filter.startsWith('$')) return 'sys-topic';
  if (who.role === 'device') {
    const own = `${DEV_BRANCH}${who.username}/down/`;
    if (filter.startsWith(own) && filter.length > own.length && !filter.includes('+')) return null;
    return filter.startsWith(DEV_BRANCH) ? 'foreign-branch' : 'not-allowed';
  }
  if (filter === `${DEV_BRANCH}+/up/json`) return null;
  const ownDown = `${TOPIC_ROOT}/gw/${who.username}/down/`;
  if (filter.startsWith(ownDown) && filter.length > ownDown.length) return null;
  return filter.startsWith(`${TOPIC_ROOT}/gw/`) ? 'foreign-branch' : 'not-allowed';
}

// Topic policy (ARCHITECTURE.md "Topics"): a gateway touches only its own
// branch; services read all uplinks and write commands and events. Deny by
// default: anything not listed here is refused.
import { parseGatewayTopic, TOPIC_ROOT } from '../proto/index.ts';
import type { BrokerRole } from './users.ts';

export interface BrokerIdentity {
  username: string;
  role: BrokerRole;
}

/** Why a publish or subscription was refused; null = allowed. Used as a metric label. */
export type AclDenial = 'sys-topic' | 'foreign-branch' | 'not-allowed';

const EVENTS_PREFIX = `${TOPIC_ROOT}/events/`;
const SERVICE_SUBSCRIBE = [`${TOPIC_ROOT}/gw/+/up/#`, `${TOPIC_ROOT}/events/#`, '$SYS/#'];

export function checkPublish(who: BrokerIdentity, topic: string): AclDenial | null {
  if (topic.startsWith('$')) return 'sys-topic';
  if (who.role === 'gateway') {
    const parsed = parseGatewayTopic(topic);
    if (!parsed || parsed.direction !== 'up') return 'not-allowed';
    return parsed.gatewayId === who.username ? null : 'foreign-branch';
  }
  if (topic.startsWith(EVENTS_PREFIX) && topic.length > EVENTS_PREFIX.length) return null;
  const parsed = parseGatewayTopic(topic);
  return parsed && parsed.direction === 'down' ? null : 'not-allowed';
}

export function checkSubscribe(who: BrokerIdentity, filter: string): AclDenial | null {
  if (who.role === 'gateway') {
    if (filter.startsWith('$')) return 'sys-topic';
    const own = `${TOPIC_ROOT}/gw/${who.username}/down/`;
    if (filter.startsWith(own) && filter.length > own.length) return null;
    return filter.startsWith(`${TOPIC_ROOT}/gw/`) ? 'foreign-branch' : 'not-allowed';
  }
  return SERVICE_SUBSCRIBE.some((allowed) => filterWithin(filter, allowed)) ? null : 'not-allowed';
}

/** True when every topic `filter` can match is also matched by `allowed` (MQTT 3.1.1 §4.7 wildcards). */
export function filterWithin(filter: string, allowed: string): boolean {
  const f = filter.split('/');
  const a = allowed.split('/');
  for (let i = 0; i < a.length; i++) {
    const want = a[i]!;
    if (want === '#') return true; // '#' also matches its parent level (§4.7.1.2)
    const got = f[i];
    if (got === undefined) return false;
    if (got === '#') return false;
    if (want === '+') continue;
    if (got !== want) return false;
  }
  return f.length === a.length;
}

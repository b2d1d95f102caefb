// Topic policy (ARCHITECTURE.md "Topics"): a gateway touches only its own
// branch; each service role gets what that service needs and nothing more.
// Deny by default: anything not listed here is refused. `$SYS/` is read-only
// for everyone, and the broker's own gateway events cannot be forged.
import { parseGatewayTopic, TOPIC_ROOT, topics } from '../proto/index.ts';
import { checkDirectPublish, checkDirectSubscribe, isDirectRole, type DirectRole } from './acl-direct.ts';
import type { BrokerRole } from './users.ts';

export interface BrokerIdentity {
  username: string;
  role: BrokerRole;
}

/** Why a publish or subscription was refused; null = allowed. Used as a metric label. */
export type AclDenial = 'sys-topic' | 'foreign-branch' | 'not-allowed' | 'broker-only' | 'bad-share';

const UPLINKS = `${TOPIC_ROOT}/gw/+/up/#`;
const EVENTS = `${TOPIC_ROOT}/events/#`;
const COMMANDS = `${TOPIC_ROOT}/gw/+/down/cmd`;
const CREW_CASES = `${TOPIC_ROOT}/crews/+/cases`;
/** Retained GatewayConfig pushed by the registry's config publisher (runs in the rules service, or as `service`). */
const CONFIGS = `${TOPIC_ROOT}/gw/+/down/config`;
const SYS = '$SYS/#';

/** Filters each service role may subscribe to, and topics (as filters) it may publish to. */
const SERVICE_POLICY: Record<Exclude<BrokerRole, 'gateway' | 'crew' | DirectRole>, { subscribe: string[]; publish: string[] }> = {
  ingest: { subscribe: [UPLINKS, EVENTS, SYS], publish: [EVENTS] },
  rules: { subscribe: [UPLINKS, EVENTS, SYS], publish: [EVENTS, COMMANDS, CREW_CASES, CONFIGS] },
  // The web console (over WebSocket): watches events and gateway status, sends operators' commands.
  console: { subscribe: [`${TOPIC_ROOT}/gw/+/up/status`, `${TOPIC_ROOT}/gw/+/up/cmdack`, EVENTS, SYS], publish: [COMMANDS] },
  service: { subscribe: [UPLINKS, EVENTS, SYS], publish: [EVENTS, COMMANDS, CREW_CASES, CONFIGS] },
};

export function checkPublish(who: BrokerIdentity, topic: string): AclDenial | null {
  if (topic.startsWith('$')) return 'sys-topic';
  // Only the broker says when a gateway connected (gateway-events.ts).
  if (topic === topics.gatewayEvents) return 'broker-only';
  if (topic.split('/').includes('')) return 'not-allowed'; // empty levels are never part of the tz/v1 tree
  if (isDirectRole(who.role)) return checkDirectPublish(who, topic);
  if (who.role === 'gateway') {
    const parsed = parseGatewayTopic(topic);
    if (parsed && parsed.direction === 'up' && parsed.gatewayId === who.username) return null;
    return topic.startsWith(`${TOPIC_ROOT}/gw/`) && !topic.startsWith(`${TOPIC_ROOT}/gw/${who.username}/`) ? 'foreign-branch' : 'not-allowed';
  }
  if (who.role === 'crew') return 'not-allowed';
  const policy = SERVICE_POLICY[who.role];
  if (topic.startsWith(`${TOPIC_ROOT}/gw/`)) {
    // Commands go to a gateway id the proto contract accepts, never to a malformed branch.
    const parsed = parseGatewayTopic(topic);
    if (!parsed) return 'not-allowed';
  }
  return policy.publish.some((allowed) => topicMatches(allowed, topic)) ? null : 'not-allowed';
}

export function checkSubscribe(who: BrokerIdentity, filter: string): AclDenial | null {
  const share = parseSharedFilter(filter);
  if (share === 'invalid') return 'bad-share';
  if (share) return checkSubscribe(who, share.filter);
  if (isDirectRole(who.role)) return checkDirectSubscribe(who, filter);
  if (who.role === 'gateway') {
    if (filter.startsWith('$')) return 'sys-topic';
    const own = `${TOPIC_ROOT}/gw/${who.username}/down/`;
    if (filter.startsWith(own) && filter.length > own.length) return null;
    return filter.startsWith(`${TOPIC_ROOT}/gw/`) ? 'foreign-branch' : 'not-allowed';
  }
  if (who.role === 'crew') {
    const own = `${TOPIC_ROOT}/crews/${who.username}/`;
    if (filter.startsWith(own) && filter.length > own.length) return null;
    return filter.startsWith(`${TOPIC_ROOT}/crews/`) ? 'foreign-branch' : 'not-allowed';
  }
  return SERVICE_POLICY[who.role].subscribe.some((allowed) => filterWithin(filter, allowed)) ? null : 'not-allowed';
}

export interface SharedFilter {
  group: string;
  filter: string;
}

/**
 * `$share/{group}/{filter}` (MQTT 5 §4.8.2 syntax, offered here to 3.1.1
 * clients): null when `filter` is not a shared subscription, 'invalid' when it
 * starts with `$share/` but has no group or no filter, or the group holds a
 * wildcard or separator.
 */
export function parseSharedFilter(filter: string): SharedFilter | null | 'invalid' {
  if (!filter.startsWith('$share/')) return null;
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return 'invalid';
  const group = rest.slice(0, slash);
  const inner = rest.slice(slash + 1);
  if (/[+#]/.test(group) || inner.length === 0 || inner.startsWith('$share/')) return 'invalid';
  return { group, filter: inner };
}

/** True when every topic `filter` can match is also matched by `allowed` (MQTT 3.1.1 §4.7 wildcards). */
export function filterWithin(filter: string, allowed: string): boolean {
  const f = filter.split('/');
  const a = allowed.split('/');
  for (const [i, want] of a.entries()) {
    if (want === '#') return true; // '#' also matches its parent level (§4.7.1.2)
    const got = f[i];
    if (got === undefined) return false;
    if (got === '#') return false;
    if (want === '+') continue;
    if (got !== want) return false;
  }
  return f.length === a.length;
}

/** True when the concrete `topic` matches `filter` (MQTT 3.1.1 §4.7). */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && !filter.startsWith('$')) return false; // §4.7.2: wildcards never match $-topics
  return filterWithin(topic, filter) && !topic.includes('+') && !topic.includes('#');
}

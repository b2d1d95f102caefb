import type { Aedes, AedesPublishPacket, Client, Subscription } from 'aedes';
import type { Counter, Gauge } from 'prom-client';
import { parseGatewayTopic } from '../proto/index.ts';
import type { Logger } from '../service-kit/index.ts';

// Shared subscriptions `$share/{group}/{filter}` for Aedes, which has none.
//
// How: a member's `$share/g/f` subscription is rewritten, before Aedes stores
// it, into a private filter `$tzshare/{member}/{g}/{f}/#`. One dispatcher per
// (group, filter) subscribes to `f` inside the broker and republishes every
// message to `$tzshare/{chosen member}/{g}/{f}/{original topic}`; on the way
// out `forward()` gives the member the original topic back. So the chosen
// member gets the message through Aedes' ordinary QoS 0/1/2 path — message ids,
// PUBACK, the offline queue of a persistent session — and no other member
// sees it. The private filter is what the persistence stores, so a persistent
// member rejoins its groups when its session is restored.
//
// Choice: rendezvous (highest-random-weight) hashing of the gateway id in the
// topic (or the whole topic when it names no gateway) over the members online
// now; when none is online, over members with a persistent session (the
// message waits in that session's queue). A gateway stays with one member
// while membership is stable; when a member leaves only its gateways move,
// when one joins it takes about 1/n of them.

const INTERNAL_ROOT = '$tzshare';
/**
 * User property naming the member's private prefix on each message the
 * dispatcher sends. The private topic alone does not survive in a session:
 * Aedes stores the packet it wrote (original topic) over the queued one in
 * Redis. Aedes copies `properties` with every packet; MQTT 3.1.1 clients never
 * see them (mqtt-packet writes properties only for MQTT 5).
 */
const SHARE_MARK = 'tz-share';

export interface SharedMetrics {
  members: Gauge<'group'>;
  deliveries: Counter<'group'>;
  undeliverable: Counter<'group'>;
}

interface Member {
  clientId: string;
  /** The Aedes client holding the membership now; null while a persistent member is offline. */
  client: Client | null;
  persistent: boolean;
  qos: 0 | 1 | 2;
  /** `$tzshare/{member}/{group}/{filter}`: the prefix of every topic delivered to this member. */
  prefix: string;
}

interface Group {
  group: string;
  filter: string;
  members: Map<string, Member>;
  dispatch: (packet: AedesPublishPacket, done: () => void) => void;
}

export class SharedSubscriptions {
  private readonly groups = new Map<string, Group>();
  /** Internal prefix → member, for `forward()`. */
  private readonly byPrefix = new Map<string, { group: Group; member: Member }>();
  /** Told when a persistent member goes offline and when a member (re)joins: the handover of a dead member's messages (share-handover.ts). */
  membership: { offline(clientId: string): void; online(clientId: string): void } | undefined;

  constructor(private readonly aedes: Aedes, private readonly metrics: SharedMetrics, private readonly log: Logger) {}

  /** True for the private filters and topics of this module (clients may not publish there). */
  static isInternal(topic: string): boolean {
    return topic.startsWith(`${INTERNAL_ROOT}/`);
  }

  /**
   * A client subscribes to `$share/{group}/{filter}` (already authorised):
   * registers it and rewrites `subscription.topic` in place to its private
   * filter, so Aedes stores and subscribes that.
   */
  join(client: Client, subscription: Subscription, group: string, filter: string): void {
    const prefix = [INTERNAL_ROOT, encode(client.id), encode(group), encode(filter)].join('/');
    this.addMember(client, group, filter, prefix, subscription.qos);
    subscription.topic = `${prefix}/#`;
  }

  /**
   * A private filter arrives through the subscribe hook: a persistent session
   * being restored (or a client naming it itself). Returns the group and filter
   * to authorise, or null when it is malformed or belongs to another client
   * id; the membership is registered only when `allowed(filter)` says yes.
   */
  rejoin(client: Client, subscription: Subscription, allowed: (filter: string) => boolean): boolean {
    const parsed = parseInternal(subscription.topic);
    if (!parsed || parsed.clientId !== client.id || parsed.rest !== '#' || !allowed(parsed.filter)) return false;
    this.addMember(client, parsed.group, parsed.filter, parsed.prefix, subscription.qos);
    return true;
  }

  /** The client unsubscribed from `$share/{group}/{filter}`: drop its private subscription too. */
  leave(client: Client, group: string, filter: string): void {
    const prefix = [INTERNAL_ROOT, encode(client.id), encode(group), encode(filter)].join('/');
    const internal = `${prefix}/#`;
    const done = () => client.unsubscribe({ unsubscriptions: [internal] } as unknown as Parameters<Client['unsubscribe']>[0], () => this.removeMember(prefix));
    if (client.clean) done();
    else {
      const persistence = (this.aedes as unknown as { persistence: { removeSubscriptions(c: Client, topics: string[]): Promise<void> } }).persistence;
      persistence.removeSubscriptions(client, [internal]).then(done, (err: Error) => {
        this.log.warn({ clientId: client.id, group, err: err.message }, 'could not remove a shared subscription from persistence');
        done();
      });
    }
  }

  /** A client connected: memberships of an earlier connection of its id that its session did not restore are gone. */
  clientConnected(client: Client): void {
    for (const [prefix, entry] of this.byPrefix) {
      if (entry.member.clientId === client.id && entry.member.client !== client) this.removeMember(prefix);
    }
  }

  /** A client disconnected: a clean member leaves, a persistent one stays as offline (its queue keeps filling). */
  clientDisconnected(client: Client): void {
    let offline = false;
    for (const [prefix, entry] of this.byPrefix) {
      if (entry.member.client !== client) continue;
      if (entry.member.persistent) {
        entry.member.client = null;
        offline = true;
        this.updateGauge(entry.group);
      } else this.removeMember(prefix);
    }
    if (offline) this.membership?.offline(client.id);
  }

  /** Whether a client id holds a membership through a live client now (also while its CONNECT is still being handled). */
  isOnline(clientId: string): boolean {
    for (const g of this.groups.values()) if (g.members.get(clientId)?.client) return true;
    return false;
  }

  /** Whether another member of one of `clientId`'s groups is online now (someone to hand its messages to). */
  hasOnlinePeer(clientId: string): boolean {
    for (const g of this.groups.values()) {
      if (!g.members.has(clientId)) continue;
      for (const m of g.members.values()) if (m.clientId !== clientId && m.client) return true;
    }
    return false;
  }

  /**
   * For a message in `from`'s session (its private topic): the group, the
   * original topic and the private topic of the member the dispatcher would
   * choose for it now among the others — online ones only when `onlineOnly`,
   * else a persistent offline one too. Null: not one of `from`'s shared
   * messages, or no such member.
   */
  handoverTarget(internalTopic: string, from: string, onlineOnly: boolean): { group: string; topic: string; to: string; toPrefix: string; toTopic: string } | null {
    const parsed = parseInternal(internalTopic);
    if (!parsed || parsed.clientId !== from) return null;
    const g = this.groups.get(`${parsed.group}\n${parsed.filter}`);
    if (!g) return null;
    const member = choose(g, stickyKey(parsed.rest), from);
    // Online = CONNACK sent: a member still restoring its session gets its own queue replayed first.
    if (!member || (onlineOnly && !(member.client as { connackSent?: boolean } | null)?.connackSent)) return null;
    return { group: g.group, topic: parsed.rest, to: member.clientId, toPrefix: member.prefix, toTopic: `${member.prefix}/${parsed.rest}` };
  }

  /**
   * The private topic of a message in `from`'s session that it got through a
   * group (its topic, or its mark when the stored topic is the original one);
   * null for anything else.
   */
  static privateTopicFor(packet: { topic: string; properties?: { userProperties?: Record<string, unknown> } }, from: string): string | null {
    const mark = packet.properties?.userProperties?.[SHARE_MARK];
    const topic = packet.topic.startsWith(`${INTERNAL_ROOT}/`) ? packet.topic : typeof mark === 'string' ? `${mark}/${packet.topic}` : null;
    return topic !== null && parseInternal(topic)?.clientId === from ? topic : null;
  }

  /** The `properties` that mark a message sent to a member's private prefix (see SHARE_MARK). */
  static mark(prefix: string): { userProperties: Record<string, string> } {
    return { userProperties: { [SHARE_MARK]: prefix } };
  }

  /**
   * authorizeForward step: a message for a member gets its original topic and
   * the member's granted QoS back. In place, because Aedes writes the packet it
   * passed in (not the one returned) when it replays a persistent session's
   * queue; only the one member subscribed to this private topic sees the object.
   */
  forward(packet: AedesPublishPacket): AedesPublishPacket {
    if (!packet.topic.startsWith(`${INTERNAL_ROOT}/`)) return packet;
    const parsed = parseInternal(packet.topic);
    if (!parsed) return packet;
    const entry = this.byPrefix.get(parsed.prefix);
    packet.topic = parsed.rest;
    if (entry && entry.member.qos < packet.qos) packet.qos = entry.member.qos;
    return packet;
  }

  /** Groups and their members, for /healthz and tests. */
  describe(): Array<{ group: string; filter: string; members: Array<{ clientId: string; online: boolean }> }> {
    return [...this.groups.values()].map((g) => ({
      group: g.group,
      filter: g.filter,
      members: [...g.members.values()].map((m) => ({ clientId: m.clientId, online: m.client !== null })),
    }));
  }

  private addMember(client: Client, group: string, filter: string, prefix: string, qos: number): void {
    const key = `${group}\n${filter}`;
    let g = this.groups.get(key);
    if (!g) {
      const created: Group = { group, filter, members: new Map(), dispatch: (packet, done) => this.dispatch(created, packet, done) };
      g = created;
      this.groups.set(key, g);
      this.aedes.subscribe(filter, g.dispatch, () => undefined);
      this.log.info({ group, filter }, 'shared subscription group created');
    }
    const member: Member = { clientId: client.id, client, persistent: !client.clean, qos: (qos === 2 ? 2 : qos === 1 ? 1 : 0), prefix };
    g.members.set(client.id, member);
    this.byPrefix.set(prefix, { group: g, member });
    this.updateGauge(g);
    this.membership?.online(client.id);
  }

  private removeMember(prefix: string): void {
    const entry = this.byPrefix.get(prefix);
    if (!entry) return;
    this.byPrefix.delete(prefix);
    const g = entry.group;
    if (g.members.get(entry.member.clientId) === entry.member) g.members.delete(entry.member.clientId);
    this.updateGauge(g);
    if (g.members.size === 0) {
      this.groups.delete(`${g.group}\n${g.filter}`);
      this.aedes.unsubscribe(g.filter, g.dispatch, () => undefined);
      this.log.info({ group: g.group, filter: g.filter }, 'shared subscription group closed (no members left)');
    }
  }

  private dispatch(g: Group, packet: AedesPublishPacket, done: () => void): void {
    // Done at once: waiting for our own republish while holding one of the
    // emitter's concurrency slots could deadlock it under load.
    done();
    if (packet.topic.startsWith('$')) return; // §4.7.2: wildcards never match $-topics
    const member = choose(g, stickyKey(packet.topic));
    if (!member) {
      this.metrics.undeliverable.inc({ group: g.group });
      return;
    }
    this.metrics.deliveries.inc({ group: g.group });
    this.aedes.publish(
      { cmd: 'publish', topic: `${member.prefix}/${packet.topic}`, payload: packet.payload, qos: packet.qos, retain: false, dup: false, properties: SharedSubscriptions.mark(member.prefix) },
      (err) => {
        if (err) this.log.error({ group: g.group, topic: packet.topic, err: err.message }, 'shared subscription delivery failed');
      },
    );
  }

  private updateGauge(g: Group): void {
    let online = 0;
    for (const m of g.members.values()) if (m.client) online += 1;
    this.metrics.members.set({ group: g.group }, online);
  }
}

/** Gateway id for topics of the tz/v1/gw tree, so one gateway's readings stay with one consumer. */
export function stickyKey(topic: string): string {
  return parseGatewayTopic(topic)?.gatewayId ?? topic;
}

function choose(g: Group, key: string, except?: string): Member | null {
  let best: Member | null = null;
  let bestScore = -1;
  let fallback: Member | null = null;
  let fallbackScore = -1;
  for (const m of g.members.values()) {
    if (m.clientId === except) continue;
    const score = fnv1a(`${key}\u0000${m.clientId}`);
    if (m.client) {
      if (score > bestScore) [best, bestScore] = [m, score];
    } else if (m.persistent && score > fallbackScore) [fallback, fallbackScore] = [m, score];
  }
  return best ?? fallback;
}

/** 32-bit FNV-1a: cheap and well spread for short keys; used only for placement, never for security. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche step so keys differing in the last characters spread over all members.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** Topic-safe encoding of a client id, group or filter as one level ('x' so it is never empty). */
function encode(text: string): string {
  return `x${Buffer.from(text, 'utf8').toString('base64url')}`;
}

function decode(level: string): string | null {
  if (!level.startsWith('x') || !/^x[A-Za-z0-9_-]*$/.test(level)) return null;
  return Buffer.from(level.slice(1), 'base64url').toString('utf8');
}

function parseInternal(topic: string): { clientId: string; group: string; filter: string; prefix: string; rest: string } | null {
  const parts = topic.split('/');
  const [root, clientLevel = '', groupLevel = '', filterLevel = ''] = parts;
  if (parts.length < 5 || root !== INTERNAL_ROOT) return null;
  const [clientId, group, filter] = [decode(clientLevel), decode(groupLevel), decode(filterLevel)];
  if (clientId === null || group === null || filter === null) return null;
  return { clientId, group, filter, prefix: parts.slice(0, 4).join('/'), rest: parts.slice(4).join('/') };
}

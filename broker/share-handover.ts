import type { Aedes } from 'aedes';
import { Counter, type Registry } from 'prom-client';
import { TzError, type Clock, type Logger } from '../service-kit/index.ts';
import { SharedSubscriptions } from './shared-subscriptions.ts';

// Handover of a dead `$share` member's messages (MQTT 5 §4.8.2: if the
// connection to the chosen member breaks before it acknowledges, the server
// MAY wait for it to reconnect; if its session ends first it SHOULD send the
// message to another member of the group).
//
// A persistent member (clean: false) that disconnects — for any reason, a
// DISCONNECT packet included: MQTT 3.1.1's DISCONNECT does not end a
// persistent session, and what hurts is how long the member stays away, not
// how it left — keeps the QoS 1/2 messages it had not acknowledged, and any
// queued for it while no member was online, in its session. After
// `graceMs` without it coming back, those of its messages that came through a
// `$share` subscription are taken out of its session and published again, in
// their original order, to the member the dispatcher now picks for each
// (sticky by gateway, online members only). If no member of the group is
// online they stay where they are and move as soon as one joins. Messages it
// got outside a group (plain subscriptions) are never touched.
//
// At least once: a message handed over had either never been sent to the dead
// member (queued) or had been sent and not acknowledged (in flight); only the
// latter can reach a consumer twice (the dead member may have acted on it
// before it died).

/** Default grace: a supervisor's restart usually fits; devices report every minute or more. */
export const DEFAULT_SHARE_HANDOVER_MS = 5_000;

/** Longest grace accepted: an hour (longer, readings would reach consumers long after newer ones anyway). */
export const MAX_SHARE_HANDOVER_MS = 3_600_000;

/** Validates a grace given in code (broker.yaml is validated by its schema). */
export function checkShareHandoverMs(ms: number): number {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_SHARE_HANDOVER_MS) {
    throw new TzError('TZ_CONFIG_INVALID', `broker: shareHandoverMs must be a whole number of ms from 0 to ${MAX_SHARE_HANDOVER_MS}, got ${ms}`);
  }
  return ms;
}

/** The part of Aedes' persistence (aedes-persistence / aedes-persistence-redis) the handover uses. */
interface OutgoingQueue {
  outgoingStream(client: { id: string }): AsyncIterable<unknown>;
  outgoingUpdate(client: { id: string }, packet: object): Promise<unknown>;
  outgoingClearMessageId(client: { id: string }, packet: { messageId: number }): Promise<unknown>;
}

interface QueuedPacket {
  cmd: 'publish';
  topic: string;
  payload: Buffer | Uint8Array | string;
  qos: 0 | 1 | 2;
  messageId?: number;
  brokerId?: string;
  brokerCounter?: number;
  properties?: { userProperties?: Record<string, unknown> };
}

export interface ShareHandoverOptions {
  aedes: Aedes;
  shared: SharedSubscriptions;
  /** Wait this long for a disconnected member to come back; 0 = hand over at once. */
  graceMs: number;
  registry: Registry;
  clock: Clock;
  log: Logger;
  /** Called per message taken out of a session that then had no member to go to (counted as a drop). */
  onLost(): void;
}

export class ShareHandover {
  /** Member → its grace timer, while it is away and the grace runs. */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Member → when it went away; kept until its messages moved or it returned. */
  private readonly away = new Map<string, number>();
  /** Members whose grace is over but whose messages wait for an online member (or a handover running now). */
  private readonly due = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly handovers: Counter<'group'>;
  private readonly messages: Counter<'group' | 'state'>;
  private closed = false;

  constructor(private readonly o: ShareHandoverOptions) {
    const registers = [o.registry];
    this.handovers = new Counter({ name: 'tz_broker_share_handover_total', help: 'Handovers of a disconnected $share member\'s unacknowledged and queued messages to another member, by group', labelNames: ['group'], registers });
    this.messages = new Counter({
      name: 'tz_broker_share_handover_messages_total',
      help: 'Messages moved from a disconnected $share member\'s session to another member, by group and state (in-flight: sent, not acknowledged, may be a duplicate; queued: never sent)',
      labelNames: ['group', 'state'],
      registers,
    });
    o.shared.membership = { offline: (id) => this.offline(id), online: (id) => this.online(id) };
    // A member restoring its session rejoins its groups before CONNACK, and Aedes replays its queue
    // right after: messages handed to it before that replay would reach it twice, out of order.
    // So waiting handovers move once a member's CONNACK is out and its replay has begun.
    o.aedes.on('connackSent', () => setImmediate(() => this.retryDue()));
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.due.clear();
    this.away.clear();
  }

  private offline(clientId: string): void {
    if (this.closed) return;
    this.away.set(clientId, this.o.clock.now());
    const previous = this.timers.get(clientId);
    if (previous) clearTimeout(previous);
    this.due.delete(clientId);
    if (this.o.graceMs === 0) {
      this.due.add(clientId);
      this.start(clientId);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(clientId);
      this.due.add(clientId);
      this.start(clientId);
    }, this.o.graceMs);
    timer.unref();
    this.timers.set(clientId, timer);
  }

  /** A member joined or rejoined: if it is one of ours it came back in time; any other waiting member may hand over to it now. */
  private online(clientId: string): void {
    const timer = this.timers.get(clientId);
    if (timer) clearTimeout(timer);
    this.timers.delete(clientId);
    this.due.delete(clientId);
    this.away.delete(clientId);
    const client = (this.o.aedes as unknown as { clients: Record<string, { connackSent?: boolean } | undefined> }).clients[clientId];
    if (client?.connackSent) this.retryDue();
  }

  /** Only members with someone to hand over to: a gateway reconnect storm must not re-read a long queue per CONNACK. */
  private retryDue(): void {
    for (const waiting of this.due) if (this.o.shared.hasOnlinePeer(waiting)) this.start(waiting);
  }

  private start(clientId: string): void {
    if (this.running.has(clientId)) return;
    const run = this.handOver(clientId)
      .catch((err: unknown) => this.o.log.error({ event: 'share-handover-failed', from: clientId, err: err instanceof Error ? err.message : String(err) }, 'share handover failed; the messages stay in the member\'s session'))
      .finally(() => this.running.delete(clientId));
    this.running.set(clientId, run);
  }

  private back(clientId: string): boolean {
    const clients = (this.o.aedes as unknown as { clients: Record<string, unknown> }).clients;
    return clients[clientId] !== undefined || this.o.shared.isOnline(clientId);
  }

  private async handOver(clientId: string): Promise<void> {
    if (!this.due.has(clientId)) return;
    if (this.back(clientId)) {
      // It reconnected (with a clean session, which online() does not hear about unless it joins again).
      this.due.delete(clientId);
      this.away.delete(clientId);
      return;
    }
    const persistence = (this.o.aedes as unknown as { persistence: OutgoingQueue }).persistence;
    const session = { id: clientId };
    const queue: QueuedPacket[] = [];
    for await (const entry of persistence.outgoingStream(session)) queue.push(entry as QueuedPacket);
    if (this.closed || !this.due.has(clientId) || this.back(clientId)) return;

    // What moves: its $share messages whose group has an online member now; the rest stays (and waits for one).
    const taken: Array<{ packet: QueuedPacket; privateTopic: string; inFlight: boolean }> = [];
    let waiting = false;
    for (const packet of queue) {
      const privateTopic = packet.cmd === 'publish' ? SharedSubscriptions.privateTopicFor(packet, clientId) : null;
      if (privateTopic === null) continue;
      // Read now: the memory store hands out its own packet objects, and the ids below are set on them.
      if (this.o.shared.handoverTarget(privateTopic, clientId, true)) taken.push({ packet, privateTopic, inFlight: typeof packet.messageId === 'number' });
      else waiting = true;
    }
    const offlineFor = this.o.clock.now() - (this.away.get(clientId) ?? this.o.clock.now());
    if (!waiting) {
      this.due.delete(clientId);
      this.away.delete(clientId);
    }
    if (taken.length === 0) return;

    // Out of the session first, so the member cannot get them again when it returns. Entries are
    // found by message id; one never sent has none, so each gets an id its session does not use.
    // With memory persistence these calls run synchronously, all in this one turn: a reconnect of
    // the member (checked just above) cannot replay its queue halfway through.
    const used = new Set(queue.map((p) => p.messageId).filter((id): id is number => typeof id === 'number'));
    let next = 65_535;
    const ids = taken.map(() => {
      while (used.has(next)) next -= 1;
      return next--;
    });
    const removals: Array<Promise<unknown>> = [];
    taken.forEach(({ packet }, i) => {
      const messageId = ids[i] ?? 0;
      removals.push(persistence.outgoingUpdate(session, { ...packet, messageId }).then(() => persistence.outgoingClearMessageId(session, { messageId })));
    });
    await Promise.all(removals);

    // Published again one after the other, so each member gets them in their original order.
    const byGroup = new Map<string, { to: Set<string>; inFlight: number; queued: number; lost: number }>();
    for (const { packet, privateTopic, inFlight } of taken) {
      const target = this.o.shared.handoverTarget(privateTopic, clientId, false);
      const groupName = target?.group ?? 'unknown';
      const tally = byGroup.get(groupName) ?? { to: new Set<string>(), inFlight: 0, queued: 0, lost: 0 };
      byGroup.set(groupName, tally);
      if (!target) {
        // The group emptied while we moved its messages (every member unsubscribed): nobody left to give it to.
        tally.lost += 1;
        this.o.onLost();
        continue;
      }
      const state = inFlight ? 'in-flight' : 'queued';
      if (state === 'in-flight') tally.inFlight += 1;
      else tally.queued += 1;
      tally.to.add(target.to);
      this.messages.inc({ group: target.group, state });
      await new Promise<void>((resolve) => {
        const message = { cmd: 'publish' as const, topic: target.toTopic, payload: Buffer.from(packet.payload), qos: packet.qos, retain: false, dup: false, properties: SharedSubscriptions.mark(target.toPrefix) };
        this.o.aedes.publish(message, (err) => {
          if (err) this.o.log.error({ event: 'share-handover-publish-failed', group: target.group, from: clientId, topic: target.topic, err: err.message }, 'share handover: a message could not be published again');
          resolve();
        });
      });
    }
    for (const [group, t] of byGroup) {
      if (t.to.size > 0) this.handovers.inc({ group });
      const line = { event: 'share-handover', group, from: clientId, to: [...t.to], messages: t.inFlight + t.queued, inFlight: t.inFlight, queued: t.queued, offlineForMs: offlineFor, graceMs: this.o.graceMs };
      if (t.lost > 0) this.o.log.error({ ...line, lost: t.lost }, 'share handover: group has no member left, messages dropped');
      else this.o.log.info(line, 'share handover: a disconnected member\'s unacknowledged messages went to another member');
    }
  }
}

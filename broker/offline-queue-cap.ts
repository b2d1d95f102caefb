import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { OutgoingQueue, type QueuedPacket } from './outgoing-queue.ts';

// aedes-persistence's async in-memory store (the one Aedes uses by default),
// CommonJS without types for this entry point.
const require = createRequire(import.meta.url);

interface QueueTarget {
  clientId: string;
}

interface MemoryPersistenceApi {
  /** The Aedes instance, set by setup(). */
  readonly broker: { clients: Record<string, unknown> } | undefined;
  subscriptionsByTopic(topic: string): Promise<unknown[]>;
  addSubscriptions(client: { id: string }, subs: unknown[]): Promise<unknown>;
  removeSubscriptions(client: { id: string }, topics: string[]): Promise<unknown>;
  cleanSubscriptions(client: { id: string }): Promise<unknown>;
  outgoingEnqueue(sub: QueueTarget, packet: unknown): Promise<void>;
  outgoingEnqueueCombi(subs: QueueTarget[], packet: unknown): Promise<void>;
  outgoingClearMessageId(client: { id: string }, packet: unknown): Promise<unknown>;
  outgoingUpdate(client: { id: string }, packet: unknown): Promise<void>;
  outgoingStream(client: { id: string }): Readable;
}

const MAX_CACHED_TOPICS = 10_000;
/** Settled answers handed out again and again (only ever awaited, never changed). */
const DONE: Promise<void> = Promise.resolve();
const NOTHING_REMOVED: Promise<unknown> = Promise.resolve(undefined);

const MemoryPersistence = require('aedes-persistence/asyncPersistence.js') as new (opts?: object) => MemoryPersistenceApi;
/** The Packet class the store copies queued messages with (aedes-persistence's own aedes-packet). */
const Packet = createRequire(require.resolve('aedes-persistence/asyncPersistence.js'))('aedes-packet') as new (original: object) => QueuedPacket;

export interface OfflineQueueCapOptions {
  /** QoS 1/2 messages one persistent session may hold in the queue (not yet acknowledged). */
  maxPerClient: number;
  /** Called once per message refused for a client whose queue is full. */
  onDrop(clientId: string): void;
}

/**
 * Aedes' in-memory persistence with a per-client bound on the outgoing queue,
 * so a persistent session that stays away cannot grow the process without
 * limit (checked while the client is offline; a connected one may run past it
 * by what maxInflight allows). At the cap the NEWEST message is dropped for that client (what it
 * already has queued stays, in order). The count is exact: the outgoing queues
 * are kept here (outgoing-queue.ts: the store's semantics, indexed), every
 * entry comes in through outgoingEnqueue/outgoingEnqueueCombi and leaves only
 * through outgoingClearMessageId (ack, or a clean session flushing it), and a
 * client's count is its queue's size.
 */
export class CappedMemoryPersistence extends MemoryPersistence {
  /** The outgoing queues (outgoing-queue.ts, in place of the store's arrays scanned per lookup), by client id; a client's count is its queue's size. */
  private readonly outgoing = new Map<string, OutgoingQueue>();
  /**
   * The persistent sessions' QoS 1/2 subscriptions matching a topic, asked by
   * Aedes for every QoS 1/2 publish (to queue it for offline sessions): kept
   * per topic until a subscription is added or removed, as the emitter's
   * matches are (topic-match-cache.ts). The arrays are only read.
   */
  private readonly byTopic = new Map<string, Promise<unknown[]>>();
  private subscriptionChanges = 0;

  constructor(private readonly cap: OfflineQueueCapOptions) {
    super();
  }

  /** Messages queued for a client now (tests, diagnostics). */
  queuedFor(clientId: string): number {
    return this.outgoing.get(clientId)?.size ?? 0;
  }

  /** The client's queue, or undefined when it may take no more (counted as a drop). */
  private admit(clientId: string): OutgoingQueue | undefined {
    let queue = this.outgoing.get(clientId);
    // Only an offline session is capped: for a connected client Aedes delivers
    // the queued entry next, and a missing one closes the connection with
    // "no such packet"; connected clients are bounded by maxInflight/maxOutgoingBytes.
    if (queue && queue.size >= this.cap.maxPerClient && !this.broker?.clients[clientId]) {
      this.cap.onDrop(clientId);
      return undefined;
    }
    if (!queue) {
      queue = new OutgoingQueue();
      this.outgoing.set(clientId, queue);
    }
    return queue;
  }

  override subscriptionsByTopic(topic: string): Promise<unknown[]> {
    // The settled promise itself is kept: Aedes asks once per QoS 1/2 publish, and an async wrapper per ask costs more than the lookup.
    const known = this.byTopic.get(topic);
    if (known !== undefined) return known;
    const generation = this.subscriptionChanges;
    const asked = super.subscriptionsByTopic(topic);
    return asked.then((subs) => {
      // A subscription added or removed meanwhile: the answer may be stale, so it is used once and not kept.
      if (generation === this.subscriptionChanges) {
        if (this.byTopic.size >= MAX_CACHED_TOPICS) this.byTopic.clear();
        this.byTopic.set(topic, asked);
      }
      return subs;
    });
  }

  private subscriptionsChanged(): void {
    this.subscriptionChanges += 1;
    this.byTopic.clear();
  }

  override addSubscriptions(client: { id: string }, subs: unknown[]): Promise<unknown> {
    this.subscriptionsChanged();
    return super.addSubscriptions(client, subs).finally(() => this.subscriptionsChanged());
  }

  override removeSubscriptions(client: { id: string }, topics: string[]): Promise<unknown> {
    this.subscriptionsChanged();
    return super.removeSubscriptions(client, topics).finally(() => this.subscriptionsChanged());
  }

  override cleanSubscriptions(client: { id: string }): Promise<unknown> {
    this.subscriptionsChanged();
    return super.cleanSubscriptions(client).finally(() => this.subscriptionsChanged());
  }

  override outgoingEnqueue(sub: QueueTarget, packet: unknown): Promise<void> {
    this.admit(sub.clientId)?.push(new Packet(packet as object));
    return DONE;
  }

  override outgoingEnqueueCombi(subs: QueueTarget[], packet: unknown): Promise<void> {
    // Empty for every QoS 1/2 publish no persistent session subscribes to (Aedes asks for each one).
    for (const sub of subs) this.admit(sub.clientId)?.push(new Packet(packet as object));
    return DONE;
  }

  override outgoingUpdate(client: { id: string }, packet: unknown): Promise<void> {
    return this.outgoing.get(client.id)?.update(packet as QueuedPacket) ? DONE : Promise.reject(new Error('no such packet'));
  }

  override outgoingClearMessageId(client: { id: string }, packet: unknown): Promise<unknown> {
    // Every clean session has nothing queued (Aedes queues only for persistent ones) and asks on each PUBACK.
    const queue = this.outgoing.get(client.id);
    if (queue === undefined) return NOTHING_REMOVED;
    const removed = queue.clear((packet as { messageId?: unknown }).messageId);
    if (queue.size === 0) this.outgoing.delete(client.id);
    return removed === undefined ? NOTHING_REMOVED : Promise.resolve(removed);
  }

  override outgoingStream(client: { id: string }): Readable {
    // A copy of the queue as it is now: entries acknowledged while it is read are still in it, as with the store.
    return Readable.from(this.outgoing.get(client.id)?.snapshot() ?? []);
  }
}

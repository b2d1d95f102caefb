import { createRequire } from 'node:module';

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
}

const MAX_CACHED_TOPICS = 10_000;
/** Settled answers handed out again and again (only ever awaited, never changed). */
const DONE: Promise<void> = Promise.resolve();
const NOTHING_REMOVED: Promise<unknown> = Promise.resolve(undefined);

const MemoryPersistence = require('aedes-persistence/asyncPersistence.js') as new (opts?: object) => MemoryPersistenceApi;

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
 * already has queued stays, in order). The count is exact: every queue entry
 * comes in through outgoingEnqueue/outgoingEnqueueCombi and leaves only through
 * outgoingClearMessageId (ack, or a clean session flushing it), and the
 * in-memory store does both synchronously inside those calls.
 */
export class CappedMemoryPersistence extends MemoryPersistence {
  private readonly queued = new Map<string, number>();
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
    return this.queued.get(clientId) ?? 0;
  }

  private admit(clientId: string): boolean {
    const n = this.queued.get(clientId) ?? 0;
    // Only an offline session is capped: for a connected client Aedes delivers
    // the queued entry next, and a missing one closes the connection with
    // "no such packet"; connected clients are bounded by maxInflight/maxOutgoingBytes.
    if (n >= this.cap.maxPerClient && !this.broker?.clients[clientId]) {
      this.cap.onDrop(clientId);
      return false;
    }
    this.queued.set(clientId, n + 1);
    return true;
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
    return this.admit(sub.clientId) ? super.outgoingEnqueue(sub, packet) : DONE;
  }

  override outgoingEnqueueCombi(subs: QueueTarget[], packet: unknown): Promise<void> {
    if (subs.length === 0) return DONE; // no persistent session subscribes to this topic (Aedes asks for every QoS 1/2 publish)
    const kept = subs.filter((sub) => this.admit(sub.clientId));
    return kept.length > 0 ? super.outgoingEnqueueCombi(kept, packet) : DONE;
  }

  override outgoingClearMessageId(client: { id: string }, packet: unknown): Promise<unknown> {
    // Nothing queued for this client (every clean session: Aedes queues only for persistent ones): nothing to look for.
    // Aedes asks on every PUBACK it receives.
    if (!this.queued.has(client.id)) return NOTHING_REMOVED;
    return super.outgoingClearMessageId(client, packet).then((removed) => {
      if (removed) {
        const n = (this.queued.get(client.id) ?? 1) - 1;
        if (n > 0) this.queued.set(client.id, n);
        else this.queued.delete(client.id);
      }
      return removed;
    });
  }
}

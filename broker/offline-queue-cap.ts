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
  outgoingEnqueue(sub: QueueTarget, packet: unknown): Promise<void>;
  outgoingEnqueueCombi(subs: QueueTarget[], packet: unknown): Promise<void>;
  outgoingClearMessageId(client: { id: string }, packet: unknown): Promise<unknown>;
}

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

  override outgoingEnqueue(sub: QueueTarget, packet: unknown): Promise<void> {
    return this.admit(sub.clientId) ? super.outgoingEnqueue(sub, packet) : Promise.resolve();
  }

  override outgoingEnqueueCombi(subs: QueueTarget[], packet: unknown): Promise<void> {
    const kept = subs.filter((sub) => this.admit(sub.clientId));
    return kept.length > 0 ? super.outgoingEnqueueCombi(kept, packet) : Promise.resolve();
  }

  override async outgoingClearMessageId(client: { id: string }, packet: unknown): Promise<unknown> {
    const removed = await super.outgoingClearMessageId(client, packet);
    if (removed) {
      const n = (this.queued.get(client.id) ?? 1) - 1;
      if (n > 0) this.queued.set(client.id, n);
      else this.queued.delete(client.id);
    }
    return removed;
  }
}

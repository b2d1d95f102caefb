// One persistent session's outgoing QoS 1/2 queue in memory, with the
// semantics of aedes-persistence's memory store (asyncPersistence.js
// outgoingEnqueue/outgoingUpdate/outgoingClearMessageId/outgoingStream) but
// indexed. The store keeps an array and finds an entry by scanning it from
// the front; for a connected consumer the queue is its unacknowledged
// messages, and every delivery looks for the newest entry (outgoingUpdate
// records the packet id it was sent with), so each delivery cost one pass
// over all that is in flight: at `maxInflight` 10,000 a slow consumer made
// every message slower still. Here the entries stay in queue order in a Map
// (by insertion sequence) with two indexes: by origin (broker id, broker
// counter) and by packet id. Each lookup finds the same entry the scan would
// — the first one in queue order that matches — held against the store itself
// in broker/test/outgoing-queue.test.ts.

/** What the queue reads of a packet (aedes-packet's Packet and the acknowledgements Aedes stores over it). */
export interface QueuedPacket {
  brokerId?: string | null;
  brokerCounter?: number;
  messageId?: number;
  [key: string]: unknown;
}

/** Adds `seq` to the set under `key` (created on demand). */
function addTo<K>(index: Map<K, Set<number>>, key: K, seq: number): void {
  const set = index.get(key);
  if (set) set.add(seq);
  else index.set(key, new Set([seq]));
}

function removeFrom<K>(index: Map<K, Set<number>>, key: K, seq: number): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(seq);
  if (set.size === 0) index.delete(key);
}

/** The smallest sequence number in `set` accepted by `ok` (sets are tiny: usually one entry). */
function first(set: Set<number> | undefined, ok: (seq: number) => boolean = () => true): number {
  let best = Infinity;
  if (set) for (const seq of set) if (seq < best && ok(seq)) best = seq;
  return best;
}

export class OutgoingQueue {
  /** Entries in queue order (a Map iterates in insertion order; a replaced entry keeps its place). */
  private readonly entries = new Map<number, QueuedPacket>();
  private nextSeq = 0;
  /** brokerId → brokerCounter → sequence numbers of the entries with that origin. */
  private readonly byOrigin = new Map<string | null | undefined, Map<number | undefined, Set<number>>>();
  /** Packet id → sequence numbers of the entries that have it (entries not yet sent have none). */
  private readonly byMessageId = new Map<number, Set<number>>();

  get size(): number {
    return this.entries.size;
  }

  /** Appends `packet` (already the queue's own copy). */
  push(packet: QueuedPacket): void {
    const seq = this.nextSeq++;
    this.entries.set(seq, packet);
    this.index(seq, packet);
  }

  /** A shallow copy of the entries, in queue order (outgoingStream: acks may remove entries while it is read). */
  snapshot(): QueuedPacket[] {
    return [...this.entries.values()];
  }

  /**
   * outgoingUpdate: the first entry, in queue order, from the same broker with
   * the same counter gets the packet id; or the first entry from another broker
   * with the same packet id is replaced by `packet` (a PUBREL over its PUBLISH).
   * False: no such packet.
   */
  update(packet: QueuedPacket): boolean {
    const id = packet.messageId;
    if (typeof id !== 'number') return this.updateByScan(packet);
    const sameOrigin = first(this.byOrigin.get(packet.brokerId)?.get(packet.brokerCounter));
    const sameId = first(this.byMessageId.get(id), (seq) => this.entries.get(seq)?.brokerId !== packet.brokerId);
    if (sameOrigin === Infinity && sameId === Infinity) return false;
    if (sameOrigin < sameId) this.setMessageId(sameOrigin, id);
    else this.replace(sameId, packet);
    return true;
  }

  /** outgoingClearMessageId: removes and returns the first entry, in queue order, with this packet id. */
  clear(messageId: unknown): QueuedPacket | undefined {
    let seq = Infinity;
    if (typeof messageId === 'number') {
      seq = first(this.byMessageId.get(messageId));
    } else {
      // Entries not yet sent have no packet id: the store's scan compares undefined with undefined.
      for (const [s, entry] of this.entries) {
        if (entry.messageId === messageId) {
          seq = s;
          break;
        }
      }
    }
    const entry = this.entries.get(seq);
    if (entry === undefined) return undefined;
    this.unindex(seq, entry);
    this.entries.delete(seq);
    return entry;
  }

  /** The store's own scan, for a packet without a numeric packet id (never seen from Aedes; kept exact). */
  private updateByScan(packet: QueuedPacket): boolean {
    for (const [seq, entry] of this.entries) {
      if (entry.brokerId === packet.brokerId) {
        if (entry.brokerCounter === packet.brokerCounter) {
          this.setMessageId(seq, packet.messageId);
          return true;
        }
      } else if (entry.messageId === packet.messageId) {
        this.replace(seq, packet);
        return true;
      }
    }
    return false;
  }

  private setMessageId(seq: number, messageId: number | undefined): void {
    const entry = this.entries.get(seq);
    if (entry === undefined) return;
    if (typeof entry.messageId === 'number') removeFrom(this.byMessageId, entry.messageId, seq);
    entry.messageId = messageId;
    if (typeof messageId === 'number') addTo(this.byMessageId, messageId, seq);
  }

  private replace(seq: number, packet: QueuedPacket): void {
    const old = this.entries.get(seq);
    if (old === undefined) return;
    this.unindex(seq, old);
    this.entries.set(seq, packet);
    this.index(seq, packet);
  }

  private index(seq: number, packet: QueuedPacket): void {
    let counters = this.byOrigin.get(packet.brokerId);
    if (!counters) {
      counters = new Map();
      this.byOrigin.set(packet.brokerId, counters);
    }
    addTo(counters, packet.brokerCounter, seq);
    if (typeof packet.messageId === 'number') addTo(this.byMessageId, packet.messageId, seq);
  }

  private unindex(seq: number, packet: QueuedPacket): void {
    const counters = this.byOrigin.get(packet.brokerId);
    if (counters) {
      removeFrom(counters, packet.brokerCounter, seq);
      if (counters.size === 0) this.byOrigin.delete(packet.brokerId);
    }
    if (typeof packet.messageId === 'number') removeFrom(this.byMessageId, packet.messageId, seq);
  }
}

/**
 * A bounded table keyed by a byte range of the payload, so a string field the
 * fast path has seen before (device id, profile class, district) is found
 * without decoding it to a string first: FNV-1a over the bytes, then a byte
 * compare. The hash is seeded per table, chains are capped and the table is
 * emptied when full, so a sender inventing ids or colliding hashes costs it
 * lookups, never unbounded memory or time (a key that cannot be kept is
 * simply looked up as new every time).
 */
export interface ByteKeyed {
  /** The key's bytes (a copy). */
  readonly key: Uint8Array;
  /** Next entry with the same hash. */
  next: this | undefined;
}

const MAX_CHAIN = 8;

export class ByteKeyedTable<T extends ByteKeyed> {
  private readonly buckets = new Map<number, T>();
  private entries = 0;
  private readonly seed = (Math.random() * 0x3fffffff) | 0;

  constructor(private readonly maxEntries: number) {}

  hash(bytes: Uint8Array, start: number, end: number): number {
    let h = 0x811c9dc5 ^ this.seed;
    for (let i = start; i < end; i++) {
      const byte = bytes[i];
      if (byte === undefined) break; // never: callers pass a field's range, which the reader checked against the payload
      h = Math.imul(h ^ byte, 0x01000193);
    }
    return h & 0x3fffffff; // a small integer: Map hashes it without boxing
  }

  get(hash: number, bytes: Uint8Array, start: number, end: number): T | undefined {
    const length = end - start;
    for (let entry = this.buckets.get(hash); entry !== undefined; entry = entry.next) {
      const key = entry.key;
      if (key.length !== length) continue;
      let i = 0;
      while (i < length && key[i] === bytes[start + i]) i++;
      if (i === length) return entry;
    }
    return undefined;
  }

  /** Keeps `entry` under `hash` (its key must not be in the table), unless that chain is already full. */
  add(hash: number, entry: T): void {
    const head = this.buckets.get(hash);
    let chain = 0;
    for (let e = head; e !== undefined; e = e.next) if (++chain >= MAX_CHAIN) return;
    if (this.entries >= this.maxEntries) {
      this.buckets.clear();
      this.entries = 0;
      entry.next = undefined;
    } else entry.next = head;
    this.buckets.set(hash, entry);
    this.entries += 1;
  }

  clear(): void {
    this.buckets.clear();
    this.entries = 0;
  }
}

// The recent samples of one metric for every device of a class, as long as
// the longest window a rule asks for, in one flat Float64Array of (time,
// value) pairs. Each device (by its slot in the class table) owns a ring
// block of 2^k pairs that doubles when its window holds more samples than
// fit; freed blocks are reused by size. One arena per (class, windowed
// metric) instead of two JS arrays per device: no allocation per reading once
// a device's block is big enough, 16 bytes per sample, and almost nothing
// for the garbage collector to trace (the profile showed per-device arrays
// and their compaction copies as GC pressure). Samples come in device-time
// order (the evaluator drops stale readings first), so pruning is from the
// oldest end only.

const NO_BLOCK = -1;

// Reads of the per-slot Int32Array/Int8Array state and of `buf` below are all
// inside bounds the code has checked (slot < length after ensureSlot/size, pair
// indexes from at() over kept samples); `?? fallback` only satisfies
// noUncheckedIndexedAccess, with the fallback each array is filled with (no
// block, empty ring) or NaN for a sample, and allocates nothing per reading.

export class MetricWindows {
  /** (time, value) pairs; a block of `cap` pairs starts at pair index `off`. */
  private buf = new Float64Array(2048);
  /** Next never-used pair index. */
  private top = 0;
  /** Free block offsets by log2 of their capacity. */
  private readonly free: number[][] = [];
  private off = new Int32Array(0);
  private capLog = new Int8Array(0);
  private head = new Int32Array(0);
  private len = new Int32Array(0);
  /** Time between the samples of the last `change` (0 with fewer than two). */
  span = 0;

  constructor(public keepMs: number) {}

  private ensureSlot(slot: number): void {
    if (slot < this.off.length) return;
    const n = Math.max(64, this.off.length * 2, slot + 1);
    const grow = <T extends Int32Array | Int8Array>(a: T, make: (n: number) => T, fill: number): T => {
      const b = make(n);
      b.set(a);
      b.fill(fill, a.length);
      return b;
    };
    this.off = grow(this.off, (k) => new Int32Array(k), NO_BLOCK);
    this.capLog = grow(this.capLog, (k) => new Int8Array(k), -1);
    this.head = grow(this.head, (k) => new Int32Array(k), 0);
    this.len = grow(this.len, (k) => new Int32Array(k), 0);
  }

  private alloc(log: number): number {
    const reused = this.free[log]?.pop();
    if (reused !== undefined) return reused;
    const cap = 1 << log;
    if ((this.top + cap) * 2 > this.buf.length) {
      const bigger = new Float64Array(Math.max(this.buf.length * 2, (this.top + cap) * 2));
      bigger.set(this.buf);
      this.buf = bigger;
    }
    const at = this.top;
    this.top += cap;
    return at;
  }

  private release(at: number, log: number): void {
    (this.free[log] ??= []).push(at);
  }

  /** Number of samples kept for a device. */
  size(slot: number): number {
    return slot < this.len.length ? this.len[slot] ?? 0 : 0;
  }

  push(slot: number, t: number, v: number): void {
    if (Number.isNaN(v)) return;
    this.ensureSlot(slot);
    let log = this.capLog[slot] ?? -1;
    let at = this.off[slot] ?? NO_BLOCK;
    let head = this.head[slot] ?? 0;
    let len = this.len[slot] ?? 0;
    const buf = this.buf;
    if (log >= 0) {
      const mask = (1 << log) - 1;
      const oldest = t - this.keepMs;
      while (len > 0 && (buf[2 * (at + head)] ?? Number.NaN) < oldest) {
        head = (head + 1) & mask;
        len--;
      }
    }
    if (log < 0 || len === 1 << log) {
      // Full (or no block yet): move into a block twice as big, oldest first.
      const next = log < 0 ? 1 : log + 1;
      const to = this.alloc(next);
      const nbuf = this.buf;
      for (let i = 0; i < len; i++) {
        const from = at + ((head + i) & ((1 << log) - 1));
        nbuf[2 * (to + i)] = nbuf[2 * from] ?? Number.NaN;
        nbuf[2 * (to + i) + 1] = nbuf[2 * from + 1] ?? Number.NaN;
      }
      if (log >= 0) this.release(at, log);
      log = next;
      at = to;
      head = 0;
      this.capLog[slot] = log;
      this.off[slot] = at;
    }
    const p = at + ((head + len) & ((1 << log) - 1));
    this.buf[2 * p] = t;
    this.buf[2 * p + 1] = v;
    this.head[slot] = head;
    this.len[slot] = len + 1;
  }

  /** Pair index of the i-th kept sample (0 = oldest). */
  private at(slot: number, i: number): number {
    return (this.off[slot] ?? NO_BLOCK) + (((this.head[slot] ?? 0) + i) & ((1 << (this.capLog[slot] ?? -1)) - 1));
  }

  /** Time of pair p (p from at(), inside buf). */
  private timeAt(p: number): number {
    return this.buf[2 * p] ?? Number.NaN;
  }

  /** Value of pair p (p from at(), inside buf). */
  private valueAt(p: number): number {
    return this.buf[2 * p + 1] ?? Number.NaN;
  }

  /** First sample index (0 = oldest) at or after `from`. */
  private first(slot: number, from: number): number {
    const n = this.size(slot);
    let i = 0;
    while (i < n && this.timeAt(this.at(slot, i)) < from) i++;
    return i;
  }

  count(slot: number, from: number, to: number, where?: (v: number) => boolean): number {
    const n = this.size(slot);
    let c = 0;
    for (let i = this.first(slot, from); i < n; i++) {
      const p = this.at(slot, i);
      if (this.timeAt(p) > to) break;
      if (!where || where(this.valueAt(p))) c++;
    }
    return c;
  }

  avg(slot: number, from: number, to: number): number {
    const n = this.size(slot);
    let c = 0;
    let sum = 0;
    for (let i = this.first(slot, from); i < n; i++) {
      const p = this.at(slot, i);
      if (this.timeAt(p) > to) break;
      sum += this.valueAt(p);
      c++;
    }
    return c === 0 ? Number.NaN : sum / c;
  }

  min(slot: number, from: number, to: number): number {
    const n = this.size(slot);
    let m = Number.NaN;
    for (let i = this.first(slot, from); i < n; i++) {
      const p = this.at(slot, i);
      if (this.timeAt(p) > to) break;
      const v = this.valueAt(p);
      if (!(v >= m)) m = v;
    }
    return m;
  }

  max(slot: number, from: number, to: number): number {
    const n = this.size(slot);
    let m = Number.NaN;
    for (let i = this.first(slot, from); i < n; i++) {
      const p = this.at(slot, i);
      if (this.timeAt(p) > to) break;
      const v = this.valueAt(p);
      if (!(v <= m)) m = v;
    }
    return m;
  }

  /** Latest minus oldest sample in the window (NaN with fewer than two); the time between them is left in `span`. */
  change(slot: number, from: number, to: number): number {
    const i = this.first(slot, from);
    let j = this.size(slot) - 1;
    while (j >= i && this.timeAt(this.at(slot, j)) > to) j--;
    if (j <= i) {
      this.span = 0;
      return Number.NaN;
    }
    const a = this.at(slot, i);
    const b = this.at(slot, j);
    this.span = this.timeAt(b) - this.timeAt(a);
    return this.valueAt(b) - this.valueAt(a);
  }

  /** The kept samples, oldest first, as [times, values] (the checkpoint's form). */
  snapshot(slot: number): [number[], number[]] {
    const n = this.size(slot);
    const ts: number[] = [];
    const vs: number[] = [];
    for (let i = 0; i < n; i++) {
      const p = this.at(slot, i);
      ts.push(this.timeAt(p));
      vs.push(this.valueAt(p));
    }
    return [ts, vs];
  }

  /** Replaces a device's samples with a checkpoint's (in order). */
  restore(slot: number, data: [number[], number[]]): void {
    this.clear(slot);
    const [ts, vs] = data;
    for (const [i, t] of ts.entries()) {
      const v = vs[i];
      if (v === undefined) break; // a checkpoint's shorter list ends the pairs
      this.push(slot, t, v);
    }
  }

  clear(slot: number): void {
    if (slot >= this.off.length) return;
    const log = this.capLog[slot] ?? -1;
    if (log >= 0) this.release(this.off[slot] ?? NO_BLOCK, log);
    this.off[slot] = NO_BLOCK;
    this.capLog[slot] = -1;
    this.head[slot] = 0;
    this.len[slot] = 0;
  }
}

// The recent samples of one metric of one device, as long as the longest
// window a rule asks for. Samples come in device-time order (the evaluator
// drops stale readings first), so pruning is from the front only.

export class MetricWindow {
  ts: number[] = [];
  vs: number[] = [];
  private head = 0;

  constructor(private readonly keepMs: number) {}

  push(t: number, v: number): void {
    if (Number.isNaN(v)) return;
    this.ts.push(t);
    this.vs.push(v);
    const oldest = t - this.keepMs;
    while (this.head < this.ts.length && this.ts[this.head]! < oldest) this.head++;
    // Compact now and then instead of shifting on every push.
    if (this.head > 32 && this.head * 2 > this.ts.length) {
      this.ts = this.ts.slice(this.head);
      this.vs = this.vs.slice(this.head);
      this.head = 0;
    }
  }

  private first(from: number): number {
    let i = this.head;
    while (i < this.ts.length && this.ts[i]! < from) i++;
    return i;
  }

  count(from: number, to: number, where?: (v: number) => boolean): number {
    let n = 0;
    for (let i = this.first(from); i < this.ts.length && this.ts[i]! <= to; i++) if (!where || where(this.vs[i]!)) n++;
    return n;
  }

  avg(from: number, to: number): number {
    let n = 0;
    let sum = 0;
    for (let i = this.first(from); i < this.ts.length && this.ts[i]! <= to; i++) { sum += this.vs[i]!; n++; }
    return n === 0 ? Number.NaN : sum / n;
  }

  min(from: number, to: number): number {
    let m = Number.NaN;
    for (let i = this.first(from); i < this.ts.length && this.ts[i]! <= to; i++) if (!(this.vs[i]! >= m)) m = this.vs[i]!;
    return m;
  }

  max(from: number, to: number): number {
    let m = Number.NaN;
    for (let i = this.first(from); i < this.ts.length && this.ts[i]! <= to; i++) if (!(this.vs[i]! <= m)) m = this.vs[i]!;
    return m;
  }

  /** Latest minus oldest sample in the window and the time between them (NaN/0 with fewer than two). */
  change(from: number, to: number): { delta: number; span: number } {
    const i = this.first(from);
    let j = this.ts.length - 1;
    while (j >= i && this.ts[j]! > to) j--;
    if (j <= i) return { delta: Number.NaN, span: 0 };
    return { delta: this.vs[j]! - this.vs[i]!, span: this.ts[j]! - this.ts[i]! };
  }

  snapshot(): [number[], number[]] {
    return [this.ts.slice(this.head), this.vs.slice(this.head)];
  }

  static restore(keepMs: number, data: [number[], number[]]): MetricWindow {
    const w = new MetricWindow(keepMs);
    w.ts = data[0].slice();
    w.vs = data[1].slice();
    return w;
  }
}

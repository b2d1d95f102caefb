// last_used_at is a hint for operators ("is this token still used?"), not a
// ledger: writing it on every request would add a write (an fsync on SQLite)
// to every authenticated call. Each store writes it at most once a minute per
// token and process.

const TOUCH_EVERY_MS = 60_000;
const REMEMBERED = 10_000;

export class TokenLastUse {
  private readonly touched = new Map<string, number>();

  /** True when this use should be written; a clock that went back writes again. */
  due(tokenId: string, at: number): boolean {
    const last = this.touched.get(tokenId);
    if (last !== undefined && at - last < TOUCH_EVERY_MS && at >= last) return false;
    // Bounded: a forgotten entry only costs one more write.
    if (this.touched.size >= REMEMBERED) this.touched.clear();
    this.touched.set(tokenId, at);
    return true;
  }
}

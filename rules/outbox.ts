import type { AlarmEvent } from '../proto/index.ts';
import { Backoff, toError, type Logger } from '../service-kit/index.ts';
import type { RulesMetrics } from './metrics.ts';
import type { OutboxQueue } from './rules-store.ts';

// Delivery of alarm events to every sink (the MQTT topic tz/v1/events/alarm,
// the case system, notifiers): at-least-once. Each change's events are rows of
// the outbox table, written in the same SQLite transaction as the change; a
// row is deleted only after its sink resolved. A failing sink is retried with
// backoff, in order (a sink never sees a newer event of an alarm before an older
// one), without holding up the other sinks. Sinks de-duplicate by `eventId`.
// On PostgreSQL several rules services drain one outbox: each claims rows
// (FOR UPDATE SKIP LOCKED, leased) so two live deliverers do not send one row
// twice; a dead one's rows are due again when its lease ends. There, order
// holds per deliverer, and a row is at least once across a crash.

export interface AlarmSink {
  name: string;
  deliver(event: AlarmEvent): Promise<void>;
}

export interface OutboxOptions {
  store: OutboxQueue;
  sinks: readonly AlarmSink[];
  log: Logger;
  metrics: RulesMetrics;
  retry?: { minMs?: number; maxMs?: number };
  /** Longest a sink may take before the attempt counts as failed. */
  deliveryTimeoutMs?: number;
}

export class AlarmOutbox {
  private readonly lanes: Array<{ sink: AlarmSink; backoff: Backoff; timer?: NodeJS.Timeout; running: boolean; again: boolean }>;
  private stopped = false;
  private readonly idle = new Set<() => void>();

  constructor(private readonly o: OutboxOptions) {
    this.lanes = o.sinks.map((sink) => ({ sink, backoff: new Backoff(o.retry?.minMs ?? 500, o.retry?.maxMs ?? 60_000), running: false, again: false }));
  }

  sinkNames(): string[] {
    return this.lanes.map((l) => l.sink.name);
  }

  /** New rows were written: deliver them (each sink not currently backing off). */
  nudge(): void {
    for (const lane of this.lanes) if (!lane.timer) void this.drain(lane);
  }

  private async drain(lane: AlarmOutbox['lanes'][number]): Promise<void> {
    if (this.stopped) return;
    if (lane.running) { lane.again = true; return; }
    lane.running = true;
    let idle = false;
    try {
      for (;;) {
        lane.again = false;
        const rows = await this.o.store.claimOutbox(lane.sink.name, 100);
        for (const row of rows) {
          if (this.stopped) return;
          try {
            await withTimeout(lane.sink.deliver(JSON.parse(row.payload) as AlarmEvent), this.o.deliveryTimeoutMs ?? 15_000);
          } catch (err) {
            const message = toError(err).message;
            await this.o.store.deliveryFailed(row.id, message);
            this.o.metrics.deliveryFailures.inc({ sink: lane.sink.name });
            const wait = lane.backoff.next();
            this.o.log.warn({ sink: lane.sink.name, eventId: row.eventId, attempts: row.attempts + 1, retryInMs: wait, err: message }, 'rules: alarm event not delivered, retrying');
            lane.timer = setTimeout(() => { lane.timer = undefined; void this.drain(lane); }, wait);
            return;
          }
          lane.backoff.reset();
          await this.o.store.delivered(row.id);
          this.o.metrics.eventsDelivered.inc({ sink: lane.sink.name });
        }
        if (rows.length === 0 && !lane.again) {
          idle = true;
          return;
        }
      }
    } catch (err) {
      // The store itself failed (database away): the rows stay; try again after a backoff.
      const wait = lane.backoff.next();
      this.o.log.warn({ sink: lane.sink.name, retryInMs: wait, err: toError(err).message }, 'rules: outbox not readable, retrying');
      if (!this.stopped) lane.timer = setTimeout(() => { lane.timer = undefined; void this.drain(lane); }, wait);
    } finally {
      lane.running = false;
      if (idle && !lane.timer) for (const f of this.idle) f();
    }
  }

  /** Resolves when every sink's queue is empty (tests, graceful stop). */
  async drained(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const depth: Record<string, number> = await Promise.resolve(this.o.store.outboxDepth()).catch(() => ({ unknown: 1 }));
      if (Object.values(depth).every((n) => n === 0) || this.lanes.every((l) => !depth[l.sink.name])) return true;
      await new Promise<void>((resolve) => { const t = setTimeout(resolve, 50); this.idle.add(() => { clearTimeout(t); resolve(); }); });
      this.idle.clear();
    }
    return false;
  }

  stop(): void {
    this.stopped = true;
    for (const lane of this.lanes) if (lane.timer) clearTimeout(lane.timer);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`sink did not answer within ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e); });
  });
}

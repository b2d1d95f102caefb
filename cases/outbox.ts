import { isTzError, type Clock, type Logger } from '../service-kit/index.ts';
import type { CaseStore } from './case-store.ts';
import type { OutboxChannel, OutboxMessage } from './model.ts';

// Delivers the notification outbox. Messages were written in the same
// transaction as the case change, so a crash loses none: on restart the
// pending ones are simply due. At-least-once: a message is marked delivered
// only after its channel acknowledged it (HTTP 2xx, MQTT PUBACK, alarms
// closed); receivers de-duplicate by notification/delivery id.

/** One adapter per channel (ChirpStack-style integrations): deliver or throw. */
export type ChannelAdapter = (message: OutboxMessage) => Promise<void>;

export interface RetryPolicy {
  /** First retry after this long; doubles per attempt up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** After this many failed attempts the message is dead (kept, visible, retryable by an admin). */
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 300_000, maxAttempts: 20 };

export function retryDelay(policy: RetryPolicy, attemptsSoFar: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attemptsSoFar, 30));
}

export interface OutboxOptions {
  store: CaseStore;
  clock: Clock;
  log: Logger;
  channels: Partial<Record<OutboxChannel, ChannelAdapter>>;
  retry: RetryPolicy;
  /** How often due retries are looked for when nothing kicks the deliverer. */
  pollMs: number;
  /** `previousAttempts`: attempts before this one (> 0: this was a retry); `permanent`: the channel said retrying cannot help. */
  onResult?(channel: OutboxChannel, result: 'delivered' | 'failed' | 'dead', info: { previousAttempts: number; permanent: boolean }): void;
}

export class OutboxDeliverer {
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<number> | null = null;
  private again = false;
  private stopped = false;

  constructor(private readonly opts: OutboxOptions) {}

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.kick();
      this.timer = setTimeout(tick, this.opts.pollMs);
      this.timer.unref();
    };
    tick();
  }

  /** Something was queued: deliver soon (coalesces with a drain already running). */
  kick(): void {
    if (this.stopped) return;
    void this.drain().catch((err: unknown) => this.opts.log.error({ err }, 'cases: outbox drain failed'));
  }

  /** Delivers every due message; resolves with how many were attempted. Concurrent calls share one run. */
  drain(): Promise<number> {
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    const run = async (): Promise<number> => {
      let attempted = 0;
      do {
        this.again = false;
        for (;;) {
          const due = await this.opts.store.atomically((tx) => tx.dueOutbox(this.opts.clock.now(), 50));
          if (due.length === 0) break;
          await Promise.all(due.map((m) => this.deliverOne(m)));
          attempted += due.length;
          if (this.stopped) break;
        }
      } while (this.again && !this.stopped);
      return attempted;
    };
    this.draining = run().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async deliverOne(m: OutboxMessage): Promise<void> {
    const adapter = this.opts.channels[m.channel];
    let error: string | null = null;
    let permanent = false;
    try {
      if (!adapter) throw new Error(`no ${m.channel} channel is configured`);
      await adapter(m);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      // Alert providers say when retrying cannot help (bad key, invalid number): such a message is dead at once.
      permanent = isTzError(err, 'TZ_ALERT_DELIVERY') && !err.canRetry();
    }
    const now = this.opts.clock.now();
    if (error === null) {
      await this.opts.store.atomically((tx) => tx.markDelivered(m.id, now));
      this.opts.onResult?.(m.channel, 'delivered', { previousAttempts: m.attempts, permanent: false });
      return;
    }
    const dead = permanent || m.attempts + 1 >= this.opts.retry.maxAttempts;
    await this.opts.store.atomically((tx) => tx.markFailed(m.id, error, now + retryDelay(this.opts.retry, m.attempts), dead));
    this.opts.onResult?.(m.channel, dead ? 'dead' : 'failed', { previousAttempts: m.attempts, permanent });
    this.opts.log.warn({ outboxId: m.id, channel: m.channel, target: m.target, attempts: m.attempts + 1, dead, permanent, error }, 'cases: notification delivery failed');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.draining?.catch(() => undefined);
  }
}

import type { Clock } from '../service-kit/index.ts';

export interface PublishRateOptions {
  /** Sustained PUBLISH packets per second per client. */
  perSecond: number;
  /** Packets a client may send at once above the sustained rate. */
  burst: number;
  /** Longest a PUBLISH is held back to slow a client down; beyond it the client is over its rate. */
  maxDelayMs: number;
}

/**
 * A token bucket per connection. Within `maxDelayMs` of debt a PUBLISH is
 * only delayed: Aedes reads the next packets of a client after the current
 * ones are handled, so holding the authorisation back is TCP back-pressure
 * and nothing is lost. Beyond it the caller refuses the packet.
 */
export class PublishRateLimiter {
  private tokens: number;
  private updatedAt: number;

  constructor(private readonly options: PublishRateOptions, private readonly clock: Clock) {
    this.tokens = options.burst;
    this.updatedAt = clock.now();
  }

  /** Milliseconds to hold this PUBLISH back (0 = now), or null when the debt would exceed `maxDelayMs` (no token taken). */
  reserve(): number | null {
    const now = this.clock.now();
    this.tokens = Math.min(this.options.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.options.perSecond);
    this.updatedAt = now;
    const delay = this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.options.perSecond) * 1000;
    if (delay > this.options.maxDelayMs) return null;
    this.tokens -= 1;
    return Math.ceil(delay);
  }
}

/** Default `limits.overloadQueueLength`: at 20,000 deliveries a second, 0.1 s of waiting. */
export const DEFAULT_OVERLOAD_QUEUE_LENGTH = 2_000;

/**
 * Whether the broker is behind: more than `maxQueued` messages wait in
 * Aedes' emitter for a delivery slot (`concurrency`). Aedes reads a client's
 * next packets only after the current ones are handled, so when the broker
 * handles fewer messages than its publishers send, the rest wait in the
 * kernel's socket buffers — megabytes on loopback, seconds of latency for
 * every later message, and invisible to the broker. Dropping QoS 0 publishes
 * on arrival while the queue is long (MQTT 3.1.1 §4.3.1: at most once; ACL
 * first, counted as `tz_broker_messages_dropped_total{reason="overload-qos0"}`)
 * lets the broker read as fast as they come, so what it delivers stays
 * fresh; QoS 1/2 publishes are never dropped here and keep TCP back-pressure.
 * An emitter without a queue length (Redis) never reports overload.
 */
export function overloadProbe(mq: unknown, maxQueued: number): () => boolean {
  const queue = mq as { length?: unknown };
  return () => typeof queue.length === 'number' && queue.length > maxQueued;
}

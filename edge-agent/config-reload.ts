import { TzError } from '../service-kit/index.ts';
import type { EdgeAgentConfig } from './config.ts';

/**
 * What a new config (SIGHUP or pushed by the centre) asks of the running
 * agent, decided before anything stops: refused outright, and which long-lived
 * parts must be restarted. Inputs (buses, meter lines, LoRa devices) are
 * always rebuilt; the disk queue never is.
 */
export interface ReloadPlan {
  /** The LoRa UDP socket must be bound anew. */
  loraMoved: boolean;
  /** The MQTT session must be restarted (broker, credentials, queue pacing or status interval changed). */
  brokerChanged: boolean;
}

/** Throws TZ_CONFIG_INVALID when `next` cannot be applied without a restart (another gateway or data folder). */
export function planReload(current: EdgeAgentConfig, next: EdgeAgentConfig): ReloadPlan {
  if (next.gatewayId !== current.gatewayId || next.dataDir !== current.dataDir) {
    throw new TzError('TZ_CONFIG_INVALID', 'gatewayId and dataDir cannot change on reload; restart the agent');
  }
  return {
    loraMoved: next.lora.host !== current.lora.host || next.lora.port !== current.lora.port,
    brokerChanged: next.brokerUrl !== current.brokerUrl || next.username !== current.username || next.password !== current.password
      || next.queue.maxInFlight !== current.queue.maxInFlight || next.queue.replayReadingsPerSecond !== current.queue.replayReadingsPerSecond
      || next.statusIntervalMs !== current.statusIntervalMs,
  };
}

/** Runs config applications one at a time, in arrival order; a failed one does not stop the next. */
export function oneAtATime<T>(apply: (next: T) => Promise<void>): (next: T) => Promise<void> {
  let applying: Promise<void> = Promise.resolve();
  return (next) => {
    const run = applying.then(() => apply(next));
    applying = run.catch(() => undefined);
    return run;
  };
}

import { TzError, type Logger } from '../service-kit/index.ts';
import { buildInputs, type InputContext, type Inputs } from './agent-inputs.ts';
import type { BatchBuilder } from './batch-builder.ts';
import type { EdgeAgentConfig } from './config.ts';
import type { DeviceHealth } from './device-health.ts';
import type { FieldDriver } from './drivers/index.ts';
import type { LoraDevice, LoraReceiver } from './lora/lora-receiver.ts';
import type { EdgeMetrics } from './metrics.ts';
import type { MqttUplink } from './mqtt-uplink.ts';
import { ReportFilter } from './report-filter.ts';
import type { StoreAndForwardQueue } from './store-and-forward-queue.ts';

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

/** The parts of a running agent a reload replaces; the agent owns them, a reload swaps them in place. */
export interface RunningParts {
  config: EdgeAgentConfig;
  inputs: Inputs;
  report: ReportFilter;
  batches: BatchBuilder;
  uplink: MqttUplink;
  /** The LoRa socket, while one is bound. */
  receiver: LoraReceiver | null;
  loraAddress: { host: string; port: number } | null;
}

/** What a reload needs from the agent besides the parts it swaps: how to build and start them. */
export interface ReloadDeps {
  inputContext: InputContext;
  health: DeviceHealth;
  queue: StoreAndForwardQueue;
  metrics: EdgeMetrics;
  log: Logger;
  newBatchBuilder(): BatchBuilder;
  newUplink(c: EdgeAgentConfig): MqttUplink;
  /** Binds the LoRa socket for `devices` (none: nothing), setting the parts' receiver and address. */
  startLora(c: EdgeAgentConfig, devices: LoraDevice[]): Promise<void>;
  startField(drivers: FieldDriver[]): Promise<void>;
}

/**
 * Applies `next` to the running agent now (callers serialise with
 * oneAtATime). The new inputs are built, and the plan made, before anything
 * stops: a config that does not fit is refused with the old one still
 * running. Then inputs stop, the open batch is sealed to disk and the parts
 * are swapped; the disk queue is never touched, so nothing queued is lost.
 */
export async function applyReload(parts: RunningParts, next: EdgeAgentConfig, deps: ReloadDeps): Promise<void> {
  const { metrics, log, health, queue } = deps;
  let fresh: Inputs;
  let plan: ReloadPlan;
  try {
    plan = planReload(parts.config, next);
    fresh = await buildInputs(next, deps.inputContext, parts.inputs.field);
  } catch (err) {
    metrics.reloads.inc({ outcome: 'refused' });
    throw err;
  }
  // Inputs stop first so nothing is produced half-way; the open batch goes to disk; the queue itself is untouched.
  await Promise.all(parts.inputs.buses.map((b) => b.stop()));
  // A driver the new config kept (the HJ 212 server, same settings) goes on serving.
  await Promise.all(parts.inputs.field.filter((d) => !fresh.field.includes(d)).map((d) => d.stop()));
  parts.batches.seal();
  parts.batches.stop();
  const { loraMoved, brokerChanged } = plan;
  if (parts.receiver && (loraMoved || fresh.lora.length === 0)) {
    await parts.receiver.stop();
    parts.receiver = null;
    parts.loraAddress = null;
  }
  const prev = parts.config;
  parts.config = next;
  parts.inputs = fresh;
  parts.report = new ReportFilter(next.report);
  parts.batches = deps.newBatchBuilder();
  health.configure(fresh.transports, next.offlineAfterFailures);
  if (parts.receiver) parts.receiver.setDevices(fresh.lora);
  else await deps.startLora(next, fresh.lora);
  if (brokerChanged) {
    await parts.uplink.stop();
    parts.uplink = deps.newUplink(next);
    parts.uplink.start();
  }
  for (const b of fresh.buses) b.start();
  await deps.startField(fresh.field);
  parts.uplink.pump();
  metrics.reloads.inc({ outcome: 'applied' });
  log.info({ devices: next.devices.length, buses: fresh.buses.length, lora: fresh.lora.length, brokerChanged, previousDevices: prev.devices.length, queued: queue.stats().batches }, 'config reloaded');
}

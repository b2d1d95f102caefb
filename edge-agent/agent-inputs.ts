import { loadProfileCodec, planReads, type LoraCodec, type ProfileCatalogue } from '../device-profiles/index.ts';
import { Backoff, TzError, toError, type Clock, type Logger } from '../service-kit/index.ts';
import type { CommandTarget } from './command-executor.ts';
import { configWarnings, type EdgeAgentConfig } from './config.ts';
import type { Transport } from './device-health.ts';
import { buildFieldInputs, type FieldDriver, type FieldEntry, type FieldDriverContext, type PushingStation } from './drivers/index.ts';
import type { LoraDevice, LoraReceiver } from './lora/lora-receiver.ts';
import type { EdgeMetrics } from './metrics.ts';
import { ModbusBus, type BusEndpoint, type PolledDevice, type PollOutcome } from './modbus-bus.ts';

/** What a config starts: the agent's inputs, built in full (and checked) before any of them runs. */
export interface Inputs {
  buses: ModbusBus[];
  lora: LoraDevice[];
  targets: Map<string, CommandTarget>;
  transports: Array<{ deviceId: string; transport: Transport }>;
  /** CJ/T 188 / DL/T 645 meter lines and the HJ 212 server (drivers/); `pushed` = stations that report on their own. */
  field: FieldDriver[];
  pushed: PushingStation[];
}

/** What the inputs hand their values to, and what they need from the agent. */
export interface InputContext {
  profiles: ProfileCatalogue;
  /** Folder the profiles came from (LoRa codec paths are relative to it). */
  profileDir: string;
  /** Loaded LoRa codecs by profile class, shared across reloads. */
  codecs: Map<string, LoraCodec>;
  metrics: EdgeMetrics;
  log: Logger;
  clock: Clock;
  onPoll: (device: Pick<PolledDevice, 'config' | 'profile' | 'failures'>, outcome: PollOutcome) => void;
  onPush: FieldDriverContext['onPush'];
  /** The running LoRa receiver, for downlinks (null while there is none). */
  receiver: () => LoraReceiver | null;
}

/** Builds buses, LoRa devices and command targets for a config; throws TZ_CONFIG_INVALID listing every problem. */
export async function buildInputs(c: EdgeAgentConfig, ctx: InputContext, previousField: readonly FieldDriver[] = []): Promise<Inputs> {
  const { profiles, profileDir, codecs, metrics, log, clock, onPoll, onPush } = ctx;
  const problems: string[] = [];
  const byBus = new Map<string, { endpoint: BusEndpoint; devices: PolledDevice[] }>();
  const lora: LoraDevice[] = [];
  const transports: Inputs['transports'] = [];
  const modbusDevices: Array<{ bus: string; device: PolledDevice }> = [];
  const fieldEntries: FieldEntry[] = [];
  const now = clock.now();
  for (const [i, device] of c.devices.entries()) {
    const where = `devices.${i} (${device.deviceId})`;
    const profile = profiles.get(device.profile);
    if (!profile) {
      problems.push(`${where}: unknown profile "${device.profile}"; known: ${profiles.all().map((p) => p.class).join(', ')}`);
      continue;
    }
    if (device.modbus) {
      if (!profile.modbus) {
        problems.push(`${where}: profile "${profile.class}" has no Modbus register map`);
        continue;
      }
      const m = device.modbus;
      let endpoint: BusEndpoint;
      if ('line' in m) {
        const line = c.serialLines.find((l) => l.name === m.line);
        if (!line) {
          problems.push(`${where}: no serial line "${m.line}" in serialLines`);
          continue;
        }
        endpoint = { kind: 'rtu', line };
      } else endpoint = { kind: 'tcp', host: m.host, port: m.port };
      const key = endpoint.kind === 'tcp' ? `tcp:${endpoint.host}:${endpoint.port}` : `rtu:${endpoint.line.path}`;
      const intervalMs = device.pollIntervalMs ?? c.pollIntervalMs;
      const polled: PolledDevice = {
        config: device, profile, unitId: m.unitId, blocks: planReads(profile), intervalMs, failures: 0,
        nextDueAt: now, // spread below, once each bus's devices are known
        backoff: new Backoff(intervalMs, Math.max(intervalMs, c.maxDeviceBackoffMs)),
      };
      const bus = byBus.get(key) ?? { endpoint, devices: [] };
      bus.devices.push(polled);
      byBus.set(key, bus);
      modbusDevices.push({ bus: key, device: polled });
      transports.push({ deviceId: device.deviceId, transport: endpoint.kind === 'tcp' ? 'modbus-tcp' : 'modbus-rtu' });
    } else if (device.lora) {
      if (!profile.lora) {
        problems.push(`${where}: profile "${profile.class}" has no lora codec`);
        continue;
      }
      let codec = codecs.get(profile.class);
      if (!codec) {
        try {
          codec = await loadProfileCodec(profile, profileDir, { timeoutMs: c.lora.codecTimeoutMs, memoryBytes: c.lora.codecMemoryBytes });
          codecs.set(profile.class, codec);
        } catch (err) {
          problems.push(`${where}: ${toError(err).message}`);
          continue;
        }
      }
      const l = device.lora;
      lora.push('devEui' in l
        ? { config: device, profile, codec, deviceClass: l.class, otaa: { devEui: Buffer.from(l.devEui, 'hex'), joinEui: Buffer.from(l.joinEui, 'hex'), appKey: Buffer.from(l.appKey, 'hex') }, session: null }
        : { config: device, profile, codec, deviceClass: l.class, otaa: null, session: { devAddr: Buffer.from(l.devAddr, 'hex'), nwkSKey: Buffer.from(l.nwkSKey, 'hex'), appSKey: Buffer.from(l.appSKey, 'hex') } });
      transports.push({ deviceId: device.deviceId, transport: 'lora' });
    } else if (device.field) {
      fieldEntries.push({ index: i, device, profile, field: device.field });
      transports.push({ deviceId: device.deviceId, transport: device.field.transport });
    }
  }
  const field = buildFieldInputs(fieldEntries, { config: c, metrics, log, clock, onPoll, onPush }, previousField);
  problems.push(...field.problems);
  if (problems.length > 0) throw new TzError('TZ_CONFIG_INVALID', `the config does not fit the device profiles:\n  ${problems.join('\n  ')}`, { details: { problems } });
  // First polls spread over the interval on each bus (the k-th of n devices at k/n of it), so a bus does not
  // start with a burst; the buses go in step, so one wake-up of the process serves a request on every bus.
  for (const { devices } of byBus.values()) devices.forEach((d, k) => void (d.nextDueAt = now + Math.floor((k * d.intervalMs) / devices.length)));
  const buses = [...byBus.values()].map(({ endpoint, devices }) => new ModbusBus(devices, { endpoint, requestTimeoutMs: c.requestTimeoutMs, retries: c.retries, offlineAfterFailures: c.offlineAfterFailures, metrics, log, onPoll, clock, maxLinkBackoffMs: c.maxDeviceBackoffMs }));
  for (const warning of configWarnings(c)) log.warn({ warning }, 'edge agent config: ' + warning);
  const busOf = new Map<string, ModbusBus>();
  for (const b of buses) for (const d of b.devices) busOf.set(d.config.deviceId, b);
  const targets = new Map<string, CommandTarget>();
  for (const { device } of modbusDevices) {
    const bus = busOf.get(device.config.deviceId);
    if (!bus) throw new TzError('TZ_INTERNAL', `edge agent: Modbus device ${device.config.deviceId} is on no bus`);
    targets.set(device.config.deviceId, { profile: device.profile, modbusWrite: (writes) => bus.write(device, writes) });
  }
  for (const d of lora) {
    targets.set(d.config.deviceId, { profile: d.profile, lora: { codec: d.codec, downlink: (fPort, bytes, deadline) => {
      const receiver = ctx.receiver();
      if (!receiver) return Promise.reject(new TzError('TZ_LORA_FRAME', 'the LoRa receiver is not running'));
      return receiver.downlink(d.config.deviceId, fPort, bytes, deadline);
    } } });
  }
  return { buses, lora, targets, transports, field: field.drivers, pushed: field.pushed };
}

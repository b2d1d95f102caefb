import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type Database from 'better-sqlite3';
import { Counter, type Registry } from 'prom-client';
import { checkCommand, commandParamsOf, type ProfileCatalogue } from '../../device-profiles/index.ts';
import { decodeCommandAck, encodeCommand, parseGatewayTopic, topics, tz, type ICommandAck } from '../../proto/index.ts';
import { TzError, toError, type Clock, type Logger } from '../../service-kit/index.ts';
import { CommandLog, type CommandRecord, type CommandState } from './command-log.ts';

/** What sending needs from an MQTT client (mqtt.js `publishAsync` fits). */
export interface CommandChannel {
  publish(topic: string, payload: Buffer, options: { qos: 1 }): Promise<unknown>;
}

/** The registry's answer for a device: where it hangs and what it is. */
export interface CommandDevice {
  gatewayId: string;
  profile: string;
}

export interface CommandCenterDeps {
  db: Database.Database;
  profiles: ProfileCatalogue;
  /** The registry's answer (a Promise over PostgreSQL). */
  lookupDevice: (deviceId: string) => CommandDevice | undefined | Promise<CommandDevice | undefined>;
  channel: CommandChannel;
  registry: Registry;
  log: Logger;
  clock: Clock;
  /** The gateway must not execute a command later than this after it was sent (Command.expires_at_ms). */
  timeoutMs?: number;
  /** After expiry, how long an answer may still travel before the centre marks the command timed out. */
  answerGraceMs?: number;
  /** How often overdue commands are swept (real timer; the decision uses `clock`). */
  sweepEveryMs?: number;
}

export interface CommandRequest {
  deviceId: string;
  name: string;
  params?: Record<string, number | boolean>;
  /** Token name, or `rule:<ruleId>`. */
  requestedBy: string;
  timeoutMs?: number;
  /** Idempotency: a second request with the same key returns the first command (an at-least-once alarm sink). */
  originKey?: string;
}

const RESULT: Record<number, { state: Exclude<CommandState, 'sent'>; result: string }> = {
  [tz.CommandResult.COMMAND_RESULT_OK]: { state: 'acked', result: 'ok' },
  [tz.CommandResult.COMMAND_RESULT_REJECTED]: { state: 'failed', result: 'rejected' },
  [tz.CommandResult.COMMAND_RESULT_FAILED]: { state: 'failed', result: 'failed' },
  [tz.CommandResult.COMMAND_RESULT_TIMED_OUT]: { state: 'timeout', result: 'timed-out' },
};

/**
 * Commands from the centre to field devices: checked against the device's
 * profile (the same check the gateway makes), recorded, published QoS 1 on
 * the gateway's down/cmd, and followed to its CommandAck (up/cmdack) or to a
 * timeout. The gateway executes a command id at most once (its command log);
 * the centre never re-sends one, so a command runs at most once.
 */
export class CommandCenter {
  private readonly log: CommandLog;
  private readonly outcomes: Counter<'state' | 'result'>;
  private readonly sent: Counter<'name'>;
  private readonly refused: Counter<'reason'>;
  private readonly acksUnknown: Counter;
  private readonly settledEvents = new EventEmitter();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: CommandCenterDeps) {
    this.log = new CommandLog(deps.db);
    this.settledEvents.setMaxListeners(0);
    const registers = [deps.registry];
    this.sent = new Counter({ name: 'tz_commands_sent_total', help: 'Device commands published to gateways, by command name', labelNames: ['name'] as const, registers });
    this.refused = new Counter({ name: 'tz_commands_refused_total', help: 'Device commands refused before sending, by reason (unknown-device, invalid, publish-failed)', labelNames: ['reason'] as const, registers });
    this.outcomes = new Counter({ name: 'tz_commands_finished_total', help: 'Device commands finished, by state and result', labelNames: ['state', 'result'] as const, registers });
    this.acksUnknown = new Counter({ name: 'tz_command_acks_ignored_total', help: 'CommandAcks for unknown, foreign or already finished commands, or undecodable', registers });
  }

  /** Sweeps overdue commands every sweepEveryMs until stop(). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sweep(), this.deps.sweepEveryMs ?? 5000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Checks, records and publishes a command; throws TZ_DEVICE_UNKNOWN / TZ_COMMAND_INVALID / TZ_BROKER_UNREACHABLE. */
  /** The command already sent for this origin (an alarm event redelivered), if any. */
  sentFor(originKey: string): CommandRecord | undefined {
    return this.log.byOriginKey(originKey) ?? undefined;
  }

  async send(req: CommandRequest): Promise<CommandRecord> {
    if (req.originKey) {
      const earlier = this.log.byOriginKey(req.originKey);
      if (earlier) return earlier;
    }
    // Awaited only when it is a Promise: a synchronous answer keeps the origin check and the log row in one turn.
    const found = this.deps.lookupDevice(req.deviceId);
    const device = found instanceof Promise ? await found : found;
    if (found instanceof Promise && req.originKey) {
      const earlier = this.log.byOriginKey(req.originKey);
      if (earlier) return earlier;
    }
    if (!device) {
      this.refused.inc({ reason: 'unknown-device' });
      throw new TzError('TZ_DEVICE_UNKNOWN', `no device ${req.deviceId} in the registry`);
    }
    const profile = this.deps.profiles.get(device.profile);
    if (!profile) {
      this.refused.inc({ reason: 'invalid' });
      throw new TzError('TZ_PROFILE_UNKNOWN', `device ${req.deviceId} has profile "${device.profile}", which this centre does not know`);
    }
    const params = commandParamsOf(profile, req.name, req.params ?? {});
    const checked = checkCommand(profile, { name: req.name, params });
    if (!checked.ok) {
      this.refused.inc({ reason: 'invalid' });
      throw new TzError('TZ_COMMAND_INVALID', `${req.deviceId} (${profile.class}): ${checked.reason}`, { details: { problems: [checked.reason] } });
    }
    const now = this.deps.clock.now();
    const record = {
      commandId: randomUUID(), deviceId: req.deviceId, gatewayId: device.gatewayId, name: req.name, params: { ...(req.params ?? {}) },
      requestedBy: req.requestedBy, requestedAt: now, expiresAt: now + (req.timeoutMs ?? this.deps.timeoutMs ?? 120_000),
    };
    this.log.add(record, req.originKey ?? null);
    const payload = Buffer.from(encodeCommand({ commandId: record.commandId, deviceId: record.deviceId, name: record.name, params, issuedAtMs: now, expiresAtMs: record.expiresAt }));
    try {
      await this.deps.channel.publish(topics.command(device.gatewayId), payload, { qos: 1 });
    } catch (err) {
      this.refused.inc({ reason: 'publish-failed' });
      this.finish(record.commandId, 'failed', 'publish-failed', `not published to the broker: ${toError(err).message}`);
      throw new TzError('TZ_BROKER_UNREACHABLE', `command ${record.commandId} to ${req.deviceId} not published: ${toError(err).message}`, { cause: err, retryable: true });
    }
    this.sent.inc({ name: req.name });
    this.deps.log.info({ commandId: record.commandId, deviceId: req.deviceId, gatewayId: device.gatewayId, name: req.name, requestedBy: req.requestedBy }, 'command sent');
    const sent = this.log.get(record.commandId);
    if (!sent) throw new TzError('TZ_INTERNAL', `command ${record.commandId} missing from the log right after it was added`);
    return sent;
  }

  /** A CommandAck from a gateway. */
  onAck(gatewayId: string, ack: ICommandAck): void {
    const commandId = String(ack.commandId ?? '');
    const record = this.log.get(commandId);
    const outcome = RESULT[Number(ack.result)];
    if (!record || record.gatewayId !== gatewayId || !outcome) {
      this.acksUnknown.inc();
      this.deps.log.debug({ gatewayId, commandId }, 'CommandAck for no command of ours; ignored');
      return;
    }
    if (!this.finish(commandId, outcome.state, outcome.result, String(ack.reason ?? ''))) this.acksUnknown.inc();
  }

  /** An MQTT message; feed it everything from tz/v1/gw/+/up/cmdack. */
  onMessage(topic: string, payload: Buffer): void {
    const parsed = parseGatewayTopic(topic);
    if (!parsed || parsed.kind !== 'cmdack') return;
    try {
      this.onAck(parsed.gatewayId, decodeCommandAck(payload));
    } catch (err) {
      this.acksUnknown.inc();
      this.deps.log.warn({ topic, err: toError(err).message }, 'undecodable CommandAck ignored');
    }
  }

  /** Marks commands unanswered past expiry + grace as timed out; returns how many. */
  sweep(): number {
    const now = this.deps.clock.now();
    let n = 0;
    for (const r of this.log.openBefore(now - (this.deps.answerGraceMs ?? 10_000))) {
      if (this.finish(r.commandId, 'timeout', 'no-answer', `no answer from gateway ${r.gatewayId} by ${new Date(r.expiresAt).toISOString()}`)) n++;
    }
    return n;
  }

  get(commandId: string): CommandRecord {
    const r = this.log.get(commandId);
    if (!r) throw new TzError('TZ_COMMAND_NOT_FOUND', `no command ${commandId}`);
    return r;
  }

  history(deviceId: string, limit = 100): CommandRecord[] {
    return this.log.history(deviceId, Math.max(1, Math.min(1000, limit)));
  }

  /** The command once it is no longer "sent", or as it is after waitMs (real time). */
  async settled(commandId: string, waitMs: number): Promise<CommandRecord> {
    const now = this.get(commandId);
    if (now.state !== 'sent' || waitMs <= 0) return now;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.settledEvents.off(commandId, done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      this.settledEvents.on(commandId, done);
    });
    return this.get(commandId);
  }

  private finish(commandId: string, state: Exclude<CommandState, 'sent'>, result: string, detail: string): boolean {
    if (!this.log.finish(commandId, state, result, detail, this.deps.clock.now())) return false;
    this.outcomes.inc({ state, result });
    const level = state === 'acked' ? 'info' : 'warn';
    this.deps.log[level]({ commandId, state, result, detail }, 'command finished');
    this.settledEvents.emit(commandId);
    return true;
  }
}

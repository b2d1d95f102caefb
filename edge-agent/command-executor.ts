import type { DeviceProfile, LoraCodec } from '../device-profiles/index.ts';
import { decodeCommand, tz, type ICommand, type ICommandAck } from '../proto/index.ts';
import { toError, type Clock, type Logger } from '../service-kit/index.ts';
import { checkCommand, modbusWrites } from './command-check.ts';
import type { GatewayLedger } from './gateway-ledger.ts';
import type { EdgeMetrics } from './metrics.ts';
import type { RegisterWrite } from './modbus-bus.ts';

/** How the executor reaches a device; the agent supplies it (and swaps it on reload). */
export interface CommandTarget {
  profile: DeviceProfile;
  /** Modbus: queue the writes on the device's bus. */
  modbusWrite?: (writes: RegisterWrite[]) => Promise<void>;
  /** LoRa: the profile's codec encodes, the receiver sends in the device's next RX window. */
  lora?: { codec: LoraCodec; downlink: (fPort: number, bytes: number[], deadline: number) => Promise<string> };
}

export interface CommandExecutorOptions {
  ledger: GatewayLedger;
  target: (deviceId: string) => CommandTarget | undefined;
  publishAck: (ack: ICommandAck) => void;
  commandTimeoutMs: number;
  metrics: EdgeMetrics;
  log: Logger;
  clock: Clock;
}

const RESULT_LABEL: Record<number, string> = {
  [tz.CommandResult.COMMAND_RESULT_OK]: 'ok',
  [tz.CommandResult.COMMAND_RESULT_REJECTED]: 'rejected',
  [tz.CommandResult.COMMAND_RESULT_TIMED_OUT]: 'timed-out',
  [tz.CommandResult.COMMAND_RESULT_FAILED]: 'failed',
};

/**
 * Commands from tz/v1/gw/{id}/down/cmd: checked against the device's profile,
 * executed as Modbus writes or a LoRa downlink, answered with CommandAck.
 * At-most-once execution: the command id is written durably BEFORE it runs,
 * so a redelivery (QoS 1, a reconnect, a restart) is never executed again —
 * it gets the recorded answer, or FAILED "outcome unknown" if the gateway
 * died while it ran.
 */
export class CommandExecutor {
  answered = 0;

  constructor(private readonly opts: CommandExecutorOptions) {}

  handle(payload: Buffer): void {
    let command: ICommand;
    try {
      command = decodeCommand(payload);
    } catch (err) {
      this.opts.metrics.commands.inc({ result: 'undecodable' });
      this.opts.log.warn({ err: toError(err).message, bytes: payload.length }, 'command is not a valid protobuf Command; ignored (no id to answer)');
      return;
    }
    void this.execute(command);
  }

  private async execute(command: ICommand): Promise<void> {
    const { ledger, clock, log } = this.opts;
    const commandId = String(command.commandId ?? '');
    const deviceId = String(command.deviceId ?? '');
    if (!commandId) return this.ack({ commandId, deviceId }, tz.CommandResult.COMMAND_RESULT_REJECTED, 'command_id is empty', false);
    const seen = ledger.command(commandId);
    if (seen) {
      log.info({ commandId, deviceId, state: seen.state }, 'duplicate command id: not executed again');
      this.opts.metrics.commands.inc({ result: 'duplicate' });
      if (seen.state === 'done') return this.ack({ commandId, deviceId }, seen.result, seen.reason, false);
      return this.ack({ commandId, deviceId }, tz.CommandResult.COMMAND_RESULT_FAILED, 'the gateway restarted while executing this command; outcome unknown, check the device state', true);
    }
    const now = clock.now();
    ledger.beginCommand(commandId, deviceId, String(command.name ?? ''), now);
    const expires = Number(command.expiresAtMs ?? 0);
    if (expires > 0 && now > expires) return this.ack({ commandId, deviceId }, tz.CommandResult.COMMAND_RESULT_TIMED_OUT, `expired at ${new Date(expires).toISOString()} before it reached the gateway`, true);
    const target = this.opts.target(deviceId);
    if (!target) return this.ack({ commandId, deviceId }, tz.CommandResult.COMMAND_RESULT_REJECTED, `device ${deviceId} is not configured on this gateway`, true);
    const checked = checkCommand(target.profile, command);
    if (!checked.ok) return this.ack({ commandId, deviceId }, tz.CommandResult.COMMAND_RESULT_REJECTED, checked.reason, true);
    const deadline = expires > 0 ? expires : now + this.opts.commandTimeoutMs;

    let work: Promise<string>;
    if (target.modbusWrite) {
      const writes = modbusWrites(target.profile, checked);
      if (typeof writes === 'string') return this.ack({ commandId, deviceId }, tz.CommandResult.COMMAND_RESULT_REJECTED, writes, true);
      work = target.modbusWrite(writes).then(() => `written: ${writes.map((w) => `${w.table} ${w.address}`).join(', ')}`);
    } else if (target.lora) {
      const encoded = target.lora.codec.encodeDownlink({ data: Object.fromEntries(checked.params) });
      if (encoded.errors.length > 0) return this.ack({ commandId, deviceId }, tz.CommandResult.COMMAND_RESULT_REJECTED, `codec: ${encoded.errors.join('; ')}`, true);
      work = target.lora.downlink(encoded.fPort ?? 1, encoded.bytes, deadline);
    } else {
      return this.ack({ commandId, deviceId }, tz.CommandResult.COMMAND_RESULT_REJECTED, `device ${deviceId} has no way to receive commands`, true);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - clock.now()));
    });
    try {
      const outcome = await Promise.race([work, timeout]);
      if (outcome === 'timeout') return this.ack({ commandId, deviceId }, tz.CommandResult.COMMAND_RESULT_TIMED_OUT, `not executed before ${new Date(deadline).toISOString()}`, true);
      log.info({ commandId, deviceId, name: command.name, detail: outcome }, 'command executed');
      this.ack({ commandId, deviceId }, tz.CommandResult.COMMAND_RESULT_OK, outcome, true);
    } catch (err) {
      const message = toError(err).message;
      const result = clock.now() >= deadline ? tz.CommandResult.COMMAND_RESULT_TIMED_OUT : tz.CommandResult.COMMAND_RESULT_FAILED;
      this.ack({ commandId, deviceId }, result, message, true);
    } finally {
      clearTimeout(timer);
    }
  }

  private ack(ids: { commandId: string; deviceId: string }, result: number, reason: string, record: boolean): void {
    if (record && ids.commandId) this.opts.ledger.finishCommand(ids.commandId, result, reason);
    this.answered++;
    this.opts.metrics.commands.inc({ result: RESULT_LABEL[result] ?? 'unknown' });
    if (result !== tz.CommandResult.COMMAND_RESULT_OK) this.opts.log.warn({ commandId: ids.commandId, deviceId: ids.deviceId, result: RESULT_LABEL[result], reason }, 'command not executed');
    this.opts.publishAck({ ...ids, result, reason, timestampMs: this.opts.clock.now() });
  }
}

import type { AlarmEvent } from '../../proto/index.ts';
import { isTzError, recordCommandSent, toError, type AuditLog, type Logger } from '../../service-kit/index.ts';
import type { CommandCenter } from './command-center.ts';

/** A rule's `command` (device-profiles/rule-schema.ts). */
export interface RuleCommand {
  name: string;
  params: Record<string, number | boolean>;
}

/** Same shape as rules' alarm sinks (`{name, deliver(event)}`), so it can sit beside the case system's. */
export interface RuleCommandSink {
  name: string;
  deliver(event: AlarmEvent): Promise<void>;
}

/**
 * Runs a rule's `command` when its alarm is raised: the command goes to the
 * alarm's device through the CommandCenter, requested by `rule:<ruleId>`.
 * Alarm sinks are delivered at least once: the alarm event id is the
 * command's idempotency key, so a redelivery sends nothing twice. A command
 * the device cannot take (not in its profile, device not in the registry) is
 * logged and dropped — retrying cannot fix it; a broker outage is thrown so
 * the rules outbox retries.
 *
 * Every command sent (or refused) is in the one audit log with the rule as
 * its actor, as an operator's command is with the operator.
 *
 * Wiring (cli/rules-service.ts): add
 *   ruleCommandSink(center, (ruleId) => rules.engine.rules.get(ruleId).spec.command, log, audit)
 * to `alarmSinks`.
 */
export function ruleCommandSink(center: CommandCenter, commandOf: (ruleId: string) => RuleCommand | undefined, log: Logger, audit?: AuditLog): RuleCommandSink {
  return {
    name: 'rule-commands',
    async deliver(event) {
      if (event.type !== 'raised') return;
      let command: RuleCommand | undefined;
      try {
        command = commandOf(event.alarm.ruleId);
      } catch {
        return; // the rule is gone since (deleted): nothing to run
      }
      if (!command) return;
      const actor = `rule:${event.alarm.ruleId}`;
      const originKey = `alarm-event:${event.eventId}`;
      const earlier = center.sentFor(originKey);
      try {
        const sent = await center.send({ deviceId: event.alarm.deviceId, name: command.name, params: command.params, requestedBy: actor, originKey });
        // A redelivered alarm event sends nothing again, and is not audited again.
        if (audit && !earlier) recordCommandSent(audit, { actor, deviceId: sent.deviceId, gatewayId: sent.gatewayId, command: sent.name, commandId: sent.commandId });
      } catch (err) {
        if (isTzError(err, 'TZ_BROKER_UNREACHABLE')) throw err;
        log.warn({ ruleId: event.alarm.ruleId, deviceId: event.alarm.deviceId, command: command.name, err: toError(err).message }, 'rule command not sent');
        if (audit) recordCommandSent(audit, { actor, deviceId: event.alarm.deviceId, gatewayId: '', command: command.name, result: 'failed' });
      }
    },
  };
}

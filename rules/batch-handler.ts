import { decodeUplinkBatch, metricValueOf, parseGatewayTopic, type IReading, type UplinkBatch } from '../proto/index.ts';
import type { ProfileCatalogue } from '../device-profiles/index.ts';
import { isTzError, toError, type Logger } from '../service-kit/index.ts';
import type { AlarmEvent, AlarmLifecycle } from './alarm-lifecycle.ts';
import type { MetricValue } from './conditions.ts';
import type { RuleEvaluator } from './evaluator.ts';
import type { RulesMetrics } from './metrics.ts';

// One uplink batch: topic check → decode → per reading, in order: evaluate →
// store transitions (SQLite, synchronous) → hand events to the publisher.

export type RejectReason = 'bad-topic' | 'malformed' | 'gateway-mismatch' | 'unknown-profile' | 'bad-reading' | 'stale-reading' | 'store-failed';

export interface RulesCounters {
  batches: number;
  readingsEvaluated: number;
  rejected: number;
  alarmsRaised: number;
  alarmsUpdated: number;
  alarmsCleared: number;
  casesOpened: number;
  casesAbsorbed: number;
}

export interface BatchHandlerDeps {
  profiles: ProfileCatalogue;
  evaluator: RuleEvaluator;
  alarms: AlarmLifecycle;
  metrics: RulesMetrics;
  counters: RulesCounters;
  log: Logger;
  publish: (event: AlarmEvent) => void;
}

export function createBatchHandler(deps: BatchHandlerDeps): (topic: string, payload: Uint8Array) => void {
  const { metrics, counters, log } = deps;

  function reject(reason: RejectReason, detail: Record<string, unknown>): void {
    counters.rejected += 1;
    metrics.rejected.inc({ reason });
    log.warn({ reason, ...detail }, 'rules: input rejected');
  }

  function handleReading(gatewayId: string, reading: IReading): void {
    const deviceId = reading.deviceId ?? '';
    const timestampMs = Number(reading.timestampMs);
    if (!deviceId || !Number.isFinite(timestampMs) || timestampMs <= 0) return reject('bad-reading', { gatewayId, deviceId });
    const profile = deps.profiles.get(reading.profile ?? '');
    if (!profile) return reject('unknown-profile', { gatewayId, deviceId, profile: reading.profile });
    const values: Record<string, MetricValue> = {};
    for (const m of reading.metrics ?? []) {
      const v = metricValueOf(m);
      if (m.name && v !== null) values[m.name] = v;
    }
    const stop = metrics.evaluationSeconds.startTimer();
    try {
      const result = deps.evaluator.evaluate({
        deviceId, gatewayId, district: reading.district ?? '', profile, timestampMs, metrics: values,
      });
      if (result.skipped) return reject(result.skipped, { gatewayId, deviceId, timestampMs });
      counters.readingsEvaluated += 1;
      metrics.readingsEvaluated.inc();
      for (const t of result.transitions) {
        const event = deps.alarms.apply(t);
        if (!event) continue;
        const labels = { rule: event.alarm.ruleId, severity: event.alarm.severity };
        if (event.type === 'alarm.fired') {
          counters.alarmsRaised += 1;
          metrics.alarmsRaised.inc(labels);
          log.info({ alarmId: event.alarm.id, ruleId: t.rule.id, deviceId: t.deviceId, caseId: event.caseId }, 'rules: alarm raised');
          if (event.caseOpened && t.rule.case) {
            counters.casesOpened += 1;
            metrics.casesOpened.inc({ category: t.rule.case.category, priority: t.rule.case.priority });
          } else if (event.caseId !== null) {
            counters.casesAbsorbed += 1;
            metrics.casesAbsorbed.inc();
          }
        } else if (event.type === 'alarm.updated') {
          counters.alarmsUpdated += 1;
          metrics.alarmsUpdated.inc(labels);
        } else if (event.type === 'alarm.cleared') {
          counters.alarmsCleared += 1;
          metrics.alarmsCleared.inc(labels);
          log.info({ alarmId: event.alarm.id, ruleId: t.rule.id, deviceId: t.deviceId }, 'rules: alarm cleared');
        }
        deps.publish(event);
      }
    } catch (err) {
      // A store failure must not kill the consumer; the reading is counted as dropped.
      reject('store-failed', { gatewayId, deviceId, err: toError(err).message });
    } finally {
      stop();
    }
  }

  return (topic, payload) => {
    const parsed = parseGatewayTopic(topic);
    if (!parsed || parsed.kind !== 'batch') return reject('bad-topic', { topic });
    let batch: UplinkBatch;
    try {
      batch = decodeUplinkBatch(payload);
    } catch (err) {
      return reject('malformed', { topic, bytes: payload.length, err: isTzError(err) ? err.message : toError(err).message });
    }
    if (batch.gatewayId !== parsed.gatewayId) return reject('gateway-mismatch', { topic, gatewayId: batch.gatewayId });
    counters.batches += 1;
    metrics.batches.inc();
    for (const reading of batch.readings) handleReading(parsed.gatewayId, reading);
  };
}

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { TallyHistogram } from './tally-histogram.ts';

// Prometheus metrics of the rules service; counters are tz_rules_<what>_total,
// every drop has a `reason` label.
export function createRulesMetrics(registry: Registry, gauges: { alarmsActive: () => number; outboxDepth: () => Record<string, number>; devices: () => number }) {
  return {
    batches: new Counter({ name: 'tz_rules_batches_total', help: 'Uplink batches received', registers: [registry] }),
    readingsEvaluated: new Counter({ name: 'tz_rules_readings_evaluated_total', help: 'Readings evaluated against their rules', registers: [registry] }),
    rejected: new Counter({ name: 'tz_rules_rejected_total', help: 'Payloads, readings or events not evaluated, by reason', labelNames: ['reason'], registers: [registry] }),
    alarmEvents: new Counter({ name: 'tz_rules_alarm_changes_total', help: 'Alarm changes (raised, updated, acknowledged, escalated, cleared, closed)', labelNames: ['type', 'rule', 'severity'], registers: [registry] }),
    alarmsRaised: new Counter({ name: 'tz_rules_alarms_raised_total', help: 'Alarms raised', labelNames: ['rule', 'severity'], registers: [registry] }),
    silenced: new Counter({ name: 'tz_rules_alarms_silenced_total', help: 'Alarms raised while a silence or maintenance window covered them (recorded, not delivered: no case, no alert), by rule', labelNames: ['rule'], registers: [registry] }),
    suppressed: new Counter({ name: 'tz_rules_alarm_changes_suppressed_total', help: 'Alarm changes not delivered because a gateway-offline alarm suppresses them', registers: [registry] }),
    staleGatewayEvents: new Counter({ name: 'tz_rules_stale_gateway_events_total', help: 'Gateway connection events older than the connection already known (ignored)', registers: [registry] }),
    shadow: new Counter({ name: 'tz_rules_shadow_transitions_total', help: 'Transitions of shadow-mode rules (recorded, not raised)', labelNames: ['rule', 'kind'], registers: [registry] }),
    ruleChanges: new Counter({ name: 'tz_rules_rule_changes_total', help: 'Rule documents created, changed, deleted or rolled back', labelNames: ['action'], registers: [registry] }),
    eventsDelivered: new Counter({ name: 'tz_rules_alarm_events_delivered_total', help: 'Alarm events delivered, per sink', labelNames: ['sink'], registers: [registry] }),
    deliveryFailures: new Counter({ name: 'tz_rules_alarm_event_delivery_failures_total', help: 'Failed delivery attempts (retried), per sink', labelNames: ['sink'], registers: [registry] }),
    checkpointSeconds: new Histogram({ name: 'tz_rules_checkpoint_seconds', help: 'Time to write the evaluator checkpoint', registers: [registry], buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5] }),
    // Observed once per reading: counted in a typed array, handed to prom-client at scrape time (tally-histogram.ts).
    evaluationSeconds: new TallyHistogram({
      name: 'tz_rules_evaluation_seconds', help: 'Time to evaluate one reading (and to store its alarm changes when it is not part of a batch; a batch stores them at its end)', registry,
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
    }),
    alarmsActive: new Gauge({ name: 'tz_rules_alarms_open', help: 'Open alarms (active or acknowledged)', registers: [registry], collect() { this.set(gauges.alarmsActive()); } }),
    devices: new Gauge({ name: 'tz_rules_devices_tracked', help: 'Devices with evaluator state', registers: [registry], collect() { this.set(gauges.devices()); } }),
    outboxDepth: new Gauge({
      name: 'tz_rules_outbox_pending', help: 'Alarm events waiting for delivery, per sink', labelNames: ['sink'], registers: [registry],
      collect() { for (const [sink, n] of Object.entries(gauges.outboxDepth())) this.set({ sink }, n); },
    }),
  };
}

export type RulesMetrics = ReturnType<typeof createRulesMetrics>;

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

// Prometheus metrics of the rules service; counters are tz_rules_<what>_total,
// every drop has a `reason` label.
export function createRulesMetrics(registry: Registry, gauges: { alarmsActive: () => number; casesOpen: () => number }) {
  return {
    batches: new Counter({ name: 'tz_rules_batches_total', help: 'Uplink batches received', registers: [registry] }),
    readingsEvaluated: new Counter({ name: 'tz_rules_readings_evaluated_total', help: 'Readings evaluated against their profile rules', registers: [registry] }),
    rejected: new Counter({ name: 'tz_rules_rejected_total', help: 'Payloads or readings not evaluated, by reason', labelNames: ['reason'], registers: [registry] }),
    alarmsRaised: new Counter({ name: 'tz_rules_alarms_raised_total', help: 'Alarms raised', labelNames: ['rule', 'severity'], registers: [registry] }),
    alarmsUpdated: new Counter({ name: 'tz_rules_alarm_repeats_total', help: 'Repeats absorbed by an open alarm', labelNames: ['rule', 'severity'], registers: [registry] }),
    alarmsCleared: new Counter({ name: 'tz_rules_alarms_cleared_total', help: 'Alarms cleared', labelNames: ['rule', 'severity'], registers: [registry] }),
    casesOpened: new Counter({ name: 'tz_rules_cases_opened_total', help: 'Cases opened by the rules engine', labelNames: ['category', 'priority'], registers: [registry] }),
    casesAbsorbed: new Counter({ name: 'tz_rules_alarms_absorbed_total', help: 'Alarms that joined an open case of their device', registers: [registry] }),
    eventsPublished: new Counter({ name: 'tz_rules_alarm_events_published_total', help: 'Alarm events published', registers: [registry] }),
    eventsFailed: new Counter({ name: 'tz_rules_alarm_events_failed_total', help: 'Alarm events that could not be published, by reason', labelNames: ['reason'], registers: [registry] }),
    evaluationSeconds: new Histogram({
      name: 'tz_rules_evaluation_seconds', help: 'Time to evaluate one reading and store its transitions', registers: [registry],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
    }),
    alarmsActive: new Gauge({ name: 'tz_rules_alarms_active', help: 'Open alarms (active or acknowledged)', registers: [registry], collect() { this.set(gauges.alarmsActive()); } }),
    casesOpen: new Gauge({ name: 'tz_rules_cases_open', help: 'Cases not closed or cancelled', registers: [registry], collect() { this.set(gauges.casesOpen()); } }),
  };
}

export type RulesMetrics = ReturnType<typeof createRulesMetrics>;

import { Counter, Gauge, type Registry } from 'prom-client';
import type { OutboxCounts } from './case-store.ts';

// Prometheus metrics of the case system. Gauges read the database at scrape
// time so they are right after a restart.

export interface CaseGaugeSources {
  openByStatus(): Promise<Array<{ status: string; count: number }>>;
  overdue(): Promise<number>;
  outbox(): Promise<OutboxCounts[]>;
}

export function createCaseMetrics(registry: Registry, sources: CaseGaugeSources) {
  const transitions = new Counter({ name: 'tz_cases_transitions_total', help: 'Case state changes, by action (report, register, dispatch, …)', labelNames: ['action'], registers: [registry] });
  const alarmEvents = new Counter({ name: 'tz_cases_alarm_events_total', help: 'Alarm events received from rules, by result (opened, absorbed, reopened, updated, cleared, closed, duplicate, ignored)', labelNames: ['result'], registers: [registry] });
  const escalations = new Counter({ name: 'tz_cases_escalations_total', help: 'SLA escalations, by stage and level', labelNames: ['stage', 'level'], registers: [registry] });
  const unassigned = new Counter({ name: 'tz_cases_dispatch_unassigned_total', help: 'Registered cases no crew serves (wait for a dispatcher)', registers: [registry] });
  const unknownCategory = new Counter({ name: 'tz_cases_unknown_category_total', help: 'Alarms naming a category the case config does not know (filed under the fallback category)', labelNames: ['category'], registers: [registry] });
  const deliveries = new Counter({ name: 'tz_cases_notifications_total', help: 'Notification delivery attempts, by channel and result (delivered, failed, dead)', labelNames: ['channel', 'result'], registers: [registry] });
  const photosRejected = new Counter({ name: 'tz_cases_photos_rejected_total', help: 'Photo uploads refused, by reason (too-large, type, empty)', labelNames: ['reason'], registers: [registry] });
  new Gauge({
    name: 'tz_cases_open', help: 'Open cases by status', labelNames: ['status'], registers: [registry],
    async collect() {
      this.reset();
      for (const r of await sources.openByStatus()) this.set({ status: r.status }, r.count);
    },
  });
  new Gauge({
    name: 'tz_cases_overdue', help: 'Open cases past the deadline of their current stage (flagged by the SLA checker)', registers: [registry],
    async collect() {
      this.set(await sources.overdue());
    },
  });
  new Gauge({
    name: 'tz_cases_outbox_messages', help: 'Notification outbox by channel and state (pending, delivered, dead)', labelNames: ['channel', 'state'], registers: [registry],
    async collect() {
      this.reset();
      for (const r of await sources.outbox()) this.set({ channel: r.channel, state: r.state }, r.count);
    },
  });
  const alerts = new Counter({ name: 'tz_alerts_messages_total', help: 'People\'s alerts (WeCom, DingTalk, Feishu, e-mail, SMS) by channel and result: queued, deferred (quiet hours), duplicate (idempotency key seen), sent, failed (an attempt), retried (a failed attempt that will be tried again), dropped (given up: refused by the provider, attempts exhausted, no endpoint)', labelNames: ['channel', 'result'], registers: [registry] });
  return { alerts, transitions, alarmEvents, escalations, unassigned, unknownCategory, deliveries, photosRejected };
}

export type CaseMetrics = ReturnType<typeof createCaseMetrics>;

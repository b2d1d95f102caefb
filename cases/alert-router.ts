import { TzError, type Clock, type Logger } from '../service-kit/index.ts';
import type { AlertEndpoint, AlertsConfig } from './alert-config.ts';
import type { CaseTx } from './case-store.ts';
import type { AlertQueue } from './case-workflow.ts';
import type { AlertChannels } from './channels/index.ts';
import type { AlertField, AlertMessage } from './channels/alert-message.ts';
import type { AlertChannelKind, CaseEventType, CaseNotification, CaseRecord, OutboxMessage, SlaStage } from './model.ts';
import { sendAt, wants, type Subscription } from './subscriptions.ts';
import { currentStage } from './views.ts';

// From a case event to people's alerts: every active subscription that wants
// the event gets one outbox message (channel = the endpoint's kind, target =
// endpoint id and recipient), written in the case change's transaction.
// Idempotent: the key is event × subscription (the event is the case version
// and type), so the same event queued twice is one message. Quiet hours
// defer a message to their end (never drop it); urgent cases override them
// when the subscription says so. At-least-once from there (the outbox).

const SEVERITY_ZH = { urgent: '紧急', high: '高', normal: '一般', low: '低' } as const;
const STAGE = { dispatch: ['派遣', 'dispatch'], handle: ['处置', 'handling'], verify: ['核查', 'verification'] } as const satisfies Record<SlaStage, readonly [string, string]>;
const EVENT: Record<CaseEventType | 'test', readonly [string, string]> = {
  'case.opened': ['新案件', 'new case'],
  'case.dispatched': ['已派遣', 'dispatched'],
  'case.reassigned': ['已改派', 'reassigned'],
  'case.escalated': ['超时升级', 'escalated (overdue)'],
  'case.rework': ['返工', 'rework'],
  'case.reopened': ['重新打开', 'reopened'],
  'case.cancelled': ['已取消', 'cancelled'],
  'case.closed': ['已结案', 'closed'],
  test: ['测试消息', 'test message'],
};

export interface AlertRouterOptions {
  alerts: Readonly<AlertsConfig>;
  /** Endpoints with their secrets filled in (resolveEndpointSecrets). */
  endpoints: readonly AlertEndpoint[];
  channels: AlertChannels;
  clock: Clock;
  log: Logger;
  categoryName(code: string): string;
  /** Counted in /metrics: deferred to the end of quiet hours, or dropped (no such endpoint). */
  onQueued?(channel: AlertChannelKind, result: 'queued' | 'deferred' | 'duplicate'): void;
  onDropped?(channel: string, reason: string): void;
}

export type AlertExtra = Parameters<AlertQueue>[3];

export function targetOf(endpointId: string, to: string | null): string {
  return to ? `${endpointId}:${to}` : endpointId;
}

function parseTarget(target: string): { endpointId: string; to: string | null } {
  const at = target.indexOf(':');
  return at < 0 ? { endpointId: target, to: null } : { endpointId: target.slice(0, at), to: target.slice(at + 1) };
}

export class AlertRouter {
  private readonly endpoints: Map<string, AlertEndpoint>;

  constructor(private readonly o: AlertRouterOptions) {
    this.endpoints = new Map(o.endpoints.map((e) => [e.id, e]));
  }

  endpoint(id: string): AlertEndpoint | undefined {
    return this.endpoints.get(id);
  }

  listEndpoints(): AlertEndpoint[] {
    return [...this.endpoints.values()];
  }

  /** The workflow's hook: queue every wanted alert of this case event in `tx`. */
  readonly queue: AlertQueue = async (tx, c, type, extra) => {
    const subs = (await tx.listSubscriptions()).filter((s) => wants(s, c, type, extra.crewId));
    if (subs.length === 0) return;
    const alarmIds = (await tx.alarmsOf(c.id)).map((a) => a.alarmId);
    const message = this.render(c, type, extra, alarmIds, `case-${c.id}-v${c.version}-${type}`);
    for (const s of subs) await this.queueFor(tx, s, c, message);
  };

  /** A test message for one subscription, now (ignores its filters, not its quiet hours). */
  async queueTest(tx: CaseTx, s: Subscription, c: CaseRecord): Promise<OutboxMessage | null> {
    const now = this.o.clock.now();
    const message = this.render(c, 'test', { crewId: c.crewId }, [], `test-${s.id}-${now}`);
    return this.queueFor(tx, s, c, message);
  }

  private async queueFor(tx: CaseTx, s: Subscription, c: CaseRecord, message: AlertMessage): Promise<OutboxMessage | null> {
    const endpoint = this.endpoints.get(s.endpoint);
    if (!endpoint) {
      this.o.onDropped?.('unknown', 'no-endpoint');
      this.o.log.warn({ subscriptionId: s.id, endpoint: s.endpoint }, 'cases: subscription names an alert endpoint the config does not have; alert dropped');
      return null;
    }
    const now = this.o.clock.now();
    const when = sendAt(s, c, now, this.o.alerts.timeZone);
    const queued = await tx.enqueueOnce(c.id, { channel: endpoint.kind, target: targetOf(endpoint.id, s.to), payload: JSON.stringify(message) }, now,
      { dedupKey: `${message.eventKey}|${s.id}`, dueAt: when.at, subscriptionId: s.id });
    this.o.onQueued?.(endpoint.kind, queued === null ? 'duplicate' : when.deferred ? 'deferred' : 'queued');
    return queued;
  }

  /** The outbox adapter for every alert channel. */
  async deliver(m: OutboxMessage): Promise<void> {
    const { endpointId, to } = parseTarget(m.target);
    const endpoint = this.endpoints.get(endpointId);
    if (!endpoint) throw new TzError('TZ_ALERT_DELIVERY', `no alert endpoint "${endpointId}" is configured`, { retryable: false });
    const message = JSON.parse(m.payload) as AlertMessage;
    await this.o.channels.send(endpoint, to, message, {
      now: () => this.o.clock.now(), timeoutMs: this.o.alerts.timeoutMs, smsSignature: this.o.alerts.smsSignature, deliveryId: String(m.id),
    });
  }

  private render(c: CaseRecord, type: CaseEventType | 'test', extra: { note?: string | null; escalation?: CaseNotification['escalation']; crewId: string | null }, alarmIds: string[], eventKey: string): AlertMessage {
    const [zh, en] = EVENT[type];
    const urgent = c.priority === 'urgent';
    const esc = extra.escalation;
    const escZh = esc ? `（${STAGE[esc.stage][0]}超时，第 ${esc.level} 级）` : '';
    const escEn = esc ? ` (${STAGE[esc.stage][1]} overdue, level ${esc.level})` : '';
    const fields: AlertField[] = [{ zh: '案件', en: 'Case', value: `#${c.id} ${c.title}` }];
    if (alarmIds.length) fields.push({ zh: '告警', en: 'Alarm', value: alarmIds.map((a) => `#${a}`).join(', ') });
    fields.push({ zh: '级别', en: 'Severity', value: `${SEVERITY_ZH[c.priority]} ${c.priority}` });
    fields.push({ zh: '类别', en: 'Category', value: this.o.categoryName(c.category) });
    const place = [c.address, c.district, c.gridCell].filter(Boolean).join(' ');
    const position = c.lat !== null && c.long !== null ? `${c.lat.toFixed(5)},${c.long.toFixed(5)}` : '';
    fields.push({ zh: '位置', en: 'Location', value: [place, position].filter(Boolean).join(' ') || '—' });
    const stage = currentStage(c);
    const due = esc ? Date.parse(esc.dueAt) : stage?.dueAt ?? c.dueAt;
    if (due !== null && due !== undefined && Number.isFinite(due)) {
      const which = esc ? esc.stage : stage?.stage;
      fields.push({ zh: '期限', en: 'Deadline', value: `${this.localTime(due)}${which ? ` ${STAGE[which][0]} ${which}` : ''}` });
    }
    if (c.crewId) fields.push({ zh: '班组', en: 'Crew', value: c.crewId });
    if (extra.note) fields.push({ zh: '备注', en: 'Note', value: extra.note.slice(0, 200) });
    const link = this.o.alerts.caseLink ? this.o.alerts.caseLink.replaceAll('{caseId}', String(c.id)) : null;
    return {
      eventKey, type, caseId: c.id, alarmIds, urgent, link, fields,
      titleZh: `${urgent ? '【紧急】' : ''}案件 #${c.id} ${zh}${escZh}`,
      titleEn: `${urgent ? '[URGENT] ' : ''}Case #${c.id} ${en}${escEn}`,
    };
  }

  private localTime(ms: number): string {
    const parts = new Intl.DateTimeFormat('en-GB', { timeZone: this.o.alerts.timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'shortOffset' }).formatToParts(new Date(ms));
    const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
    return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} ${get('timeZoneName')}`;
  }
}

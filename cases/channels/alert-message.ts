import type { CaseEventType } from '../model.ts';

// One alert as people read it, whatever the channel: Chinese first, English
// second; the case (and alarm) id, severity, category, location, deadline and
// a link. Stored as the outbox payload (no secrets in it); each channel
// renders it in its own format.

export interface AlertField {
  zh: string;
  en: string;
  value: string;
}

export interface AlertMessage {
  /** Stable per event: the idempotency key is this plus the subscription. */
  eventKey: string;
  type: CaseEventType | 'test';
  caseId: number;
  alarmIds: string[];
  urgent: boolean;
  titleZh: string;
  titleEn: string;
  fields: AlertField[];
  link: string | null;
}

/** Markdown for chat robots (WeCom and DingTalk both read this subset). */
export function alertMarkdown(m: AlertMessage): string {
  const lines = [`### ${m.titleZh}`, m.titleEn, ''];
  for (const f of m.fields) lines.push(`> **${f.zh} ${f.en}**: ${f.value}`);
  if (m.link) lines.push('', `[查看案件 View case](${m.link})`);
  return lines.join('\n');
}

/** Plain text (text messages, e-mail bodies). */
export function alertText(m: AlertMessage): string {
  const lines = [m.titleZh, m.titleEn, ''];
  for (const f of m.fields) lines.push(`${f.zh} ${f.en}: ${f.value}`);
  if (m.link) lines.push('', `链接 Link: ${m.link}`);
  return lines.join('\n');
}

/** A short SMS: 【signature】, the Chinese title and values, the link, then the English title; cut to maxLength. */
export function alertSms(m: AlertMessage, signature: string, maxLength: number): { text: string; segments: number; truncated: boolean } {
  const values = m.fields.filter((f) => f.en !== 'Alarm').map((f) => f.value).join('，');
  const full = `【${signature}】${m.titleZh}：${values}${m.link ? ` ${m.link}` : ''}\n${m.titleEn}`;
  const chars = [...full];
  const truncated = chars.length > maxLength;
  const text = truncated ? `${chars.slice(0, maxLength - 1).join('')}…` : full;
  const n = [...text].length;
  // UCS-2 SMS: 70 characters in one segment, 67 per segment when concatenated.
  return { text, segments: n <= 70 ? 1 : Math.ceil(n / 67), truncated };
}

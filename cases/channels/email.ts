import nodemailer, { type Transporter } from 'nodemailer';
import type { EmailEndpoint } from '../alert-config.ts';
import { alertText, type AlertMessage } from './alert-message.ts';
import { deliveryError, type AlertChannel } from './channel.ts';

// E-mail over SMTP with nodemailer: STARTTLS required, optional or off, or
// TLS from the first byte (`secure`, port 465). The subject is the Chinese
// title (nodemailer encodes it as RFC 2047 UTF-8); the body is Chinese then
// English, as text and HTML. Message-ID is derived from the outbox id, so a
// retried message is recognisably the same one.
// SMTP 4xx and connection failures are retryable; 5xx, bad login and
// refused recipients are not.

const RETRYABLE_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET', 'EPROTOCOL']);

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function htmlOf(m: AlertMessage): string {
  const rows = m.fields.map((f) => `<tr><th align="left">${escapeHtml(f.zh)} ${escapeHtml(f.en)}</th><td>${escapeHtml(f.value)}</td></tr>`).join('');
  const link = m.link ? `<p><a href="${escapeHtml(m.link)}">查看案件 View case</a></p>` : '';
  return `<h3>${escapeHtml(m.titleZh)}</h3><p>${escapeHtml(m.titleEn)}</p><table>${rows}</table>${link}`;
}

export function createEmailChannel(): AlertChannel<EmailEndpoint> & { close(): void } {
  const transports = new Map<string, Transporter>();
  const transportOf = (e: EmailEndpoint, timeoutMs: number): Transporter => {
    let t = transports.get(e.id);
    if (!t) {
      t = nodemailer.createTransport({
        host: e.host, port: e.port, secure: e.secure,
        requireTLS: e.starttls === 'required', ignoreTLS: e.starttls === 'off',
        auth: e.user ? { user: e.user, pass: e.password ?? '' } : undefined,
        tls: { rejectUnauthorized: e.tlsRejectUnauthorized },
        connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs,
        // nodemailer's own logger stays off: it could print the AUTH exchange.
        logger: false, debug: false,
      });
      transports.set(e.id, t);
    }
    return t;
  };
  return {
    async send(endpoint, to, message, ctx) {
      const recipient = to ?? endpoint.to;
      if (!recipient) throw deliveryError(endpoint, 'no recipient: give the subscription a "to" address or the endpoint a default "to"', false);
      try {
        await transportOf(endpoint, ctx.timeoutMs).sendMail({
          from: endpoint.from, to: recipient, subject: message.titleZh,
          text: alertText(message), html: htmlOf(message),
          messageId: `<tz-alert-${ctx.deliveryId}@tianzhong>`,
          headers: { 'X-Tz-Event': message.eventKey, 'X-Tz-Case': String(message.caseId) },
        });
      } catch (err) {
        const e = err as { code?: string; responseCode?: number; message?: string };
        const retryable = e.responseCode !== undefined ? e.responseCode >= 400 && e.responseCode < 500 : RETRYABLE_CODES.has(e.code ?? '');
        throw deliveryError(endpoint, `SMTP ${e.responseCode ?? e.code ?? 'error'}: ${(e.message ?? '').slice(0, 200)}`, retryable, { smtpCode: e.responseCode ?? null, code: e.code ?? null });
      }
    },
    close() {
      for (const t of transports.values()) t.close();
      transports.clear();
    },
  };
}

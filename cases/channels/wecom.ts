import type { WecomEndpoint } from '../alert-config.ts';
import { alertMarkdown, alertText } from './alert-message.ts';
import { deliveryError, requestJson, type AlertChannel } from './channel.ts';

// WeCom (企业微信) group robot: POST JSON to the webhook URL (its `key` is the
// secret). https://developer.work.weixin.qq.com/document/path/91770
//   {"msgtype":"markdown","markdown":{"content":"…"}}            (≤ 4096 bytes)
//   {"msgtype":"text","text":{"content":"…","mentioned_mobile_list":["138…"]}}  (≤ 2048 bytes)
// A recipient (mobile) can only be @-mentioned in a text message, so a
// subscription with `to` gets text, one without gets markdown.
// Answer {"errcode":0,"errmsg":"ok"}; anything else is an error.

/** errcodes worth trying again: system busy, rate limits (20 messages a minute per robot). */
export const WECOM_RETRYABLE = new Set([-1, 45009, 45033]);

export const MARKDOWN_MAX_BYTES = 4096;
export const TEXT_MAX_BYTES = 2048;

/** Cuts a string to at most `max` UTF-8 bytes without splitting a character. */
export function cutBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > max - 3) break;
    out += ch;
    bytes += n;
  }
  return `${out}…`;
}

export const wecomChannel: AlertChannel<WecomEndpoint> = {
  async send(endpoint, to, message, ctx) {
    const body = to
      ? { msgtype: 'text', text: { content: cutBytes(alertText(message), TEXT_MAX_BYTES), mentioned_mobile_list: [to] } }
      : { msgtype: 'markdown', markdown: { content: cutBytes(alertMarkdown(message), MARKDOWN_MAX_BYTES) } };
    const answer = await requestJson(endpoint, endpoint.url, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, ctx.timeoutMs);
    const { errcode, errmsg } = answer as { errcode?: unknown; errmsg?: unknown };
    if (errcode === 0) return;
    const code = typeof errcode === 'number' ? errcode : NaN;
    throw deliveryError(endpoint, `errcode ${String(errcode)} ${String(errmsg ?? '')}`.trim(), WECOM_RETRYABLE.has(code), { errcode });
  },
};

import { createHmac } from 'node:crypto';
import type { DingtalkEndpoint } from '../alert-config.ts';
import { alertMarkdown } from './alert-message.ts';
import { deliveryError, requestJson, type AlertChannel } from './channel.ts';

// DingTalk (钉钉) custom robot with "加签" signing:
// https://open.dingtalk.com/document/robots/customize-robot-security-settings
//   timestamp = ms since epoch; sign = urlEncode(base64(HMAC-SHA256(key = secret, data = `${timestamp}\n${secret}`)))
//   POST <webhook>&timestamp=…&sign=…  {"msgtype":"markdown","markdown":{"title","text"},"at":{"atMobiles":[…]}}
// DingTalk only mentions a mobile that also appears as "@138…" in the text.
// Answer {"errcode":0,"errmsg":"ok"}. The server rejects a timestamp more than an hour off.

/** errcodes worth trying again: system busy, sending too fast (20 a minute per robot). */
export const DINGTALK_RETRYABLE = new Set([-1, 130101, 410100, 430101]);

export function dingtalkSign(secret: string, timestamp: number): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`, 'utf8').digest('base64');
}

export function dingtalkUrl(url: string, secret: string | undefined, timestamp: number): string {
  if (!secret) return url;
  const u = new URL(url);
  u.searchParams.set('timestamp', String(timestamp));
  u.searchParams.set('sign', dingtalkSign(secret, timestamp));
  return u.toString();
}

export const dingtalkChannel: AlertChannel<DingtalkEndpoint> = {
  async send(endpoint, to, message, ctx) {
    const text = alertMarkdown(message) + (to ? `\n\n@${to}` : '');
    const body = { msgtype: 'markdown', markdown: { title: message.titleZh, text }, at: { atMobiles: to ? [to] : [], isAtAll: false } };
    const url = dingtalkUrl(endpoint.url, endpoint.secret, ctx.now());
    const answer = await requestJson(endpoint, url, { headers: { 'content-type': 'application/json;charset=utf-8' }, body: JSON.stringify(body) }, ctx.timeoutMs);
    const { errcode, errmsg } = answer as { errcode?: unknown; errmsg?: unknown };
    if (errcode === 0) return;
    const code = typeof errcode === 'number' ? errcode : NaN;
    throw deliveryError(endpoint, `errcode ${String(errcode)} ${String(errmsg ?? '')}`.trim(), DINGTALK_RETRYABLE.has(code), { errcode });
  },
};

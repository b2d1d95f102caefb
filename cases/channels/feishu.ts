import { createHmac } from 'node:crypto';
import type { FeishuEndpoint } from '../alert-config.ts';
import { alertText } from './alert-message.ts';
import { deliveryError, requestJson, type AlertChannel } from './channel.ts';

// Feishu / Lark (飞书) custom bot: https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
//   {"timestamp":"<unix seconds>","sign":"…","msg_type":"post","content":{"post":{"zh_cn":{"title","content":[[{tag:"text",text}]…]}}}}
//   sign = base64(HMAC-SHA256(key = `${timestamp}\n${secret}`, message = "")) — the key is the string, the message is empty.
// Answer {"code":0,"msg":"success"} (older bots: {"StatusCode":0}).
// A custom bot can only @-mention by open_id, not by mobile: `to` is shown as text.

/** codes worth trying again: rate limited (100/min, 5/s), server busy. 19021 (sign / timestamp), 19024 (keyword), 19022 (IP) are not. */
export const FEISHU_RETRYABLE = new Set([11232, -1]);

export function feishuSign(secret: string, timestampSeconds: number): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

export const feishuChannel: AlertChannel<FeishuEndpoint> = {
  async send(endpoint, to, message, ctx) {
    const lines = alertText(message).split('\n').slice(2);
    const content: Array<Array<Record<string, string>>> = [[{ tag: 'text', text: message.titleEn }]];
    for (const line of lines) if (line && !line.startsWith('链接')) content.push([{ tag: 'text', text: line }]);
    if (message.link) content.push([{ tag: 'a', text: '查看案件 View case', href: message.link }]);
    if (to) content.push([{ tag: 'text', text: `@${to}` }]);
    const timestamp = Math.floor(ctx.now() / 1000);
    const body = {
      ...(endpoint.secret ? { timestamp: String(timestamp), sign: feishuSign(endpoint.secret, timestamp) } : {}),
      msg_type: 'post', content: { post: { zh_cn: { title: message.titleZh, content } } },
    };
    const answer = await requestJson(endpoint, endpoint.url, { headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) }, ctx.timeoutMs);
    const { code, msg, StatusCode } = answer as { code?: unknown; msg?: unknown; StatusCode?: unknown };
    if (code === 0 || (code === undefined && StatusCode === 0)) return;
    const n = typeof code === 'number' ? code : NaN;
    throw deliveryError(endpoint, `code ${String(code ?? StatusCode)} ${String(msg ?? '')}`.trim(), FEISHU_RETRYABLE.has(n), { code: code ?? StatusCode });
  },
};

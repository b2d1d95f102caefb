import type { SmsEndpoint } from '../alert-config.ts';
import { alertSms } from './alert-message.ts';
import { deliveryError, requestJson, valueAt, type AlertChannel } from './channel.ts';

// SMS through any HTTP provider, described as data: method, URL, headers and
// a body template with {phone} and {text}. Filling is plain string
// replacement of those two names (no expressions, no eval); each value is
// escaped for where it lands: URL-encoded in the URL and form bodies, a JSON
// string in JSON bodies. The text is cut to `maxLength` characters (one
// Chinese segment holds 70, concatenated segments 67 each; carriers bill per
// segment). Success: HTTP 2xx and, when `codePath` is set, a code in
// `okCodes`; a code in `retryableCodes` (or HTTP 5xx/429) is retried.

export type Escape = (value: string) => string;

const PLACEHOLDER = /\{(phone|text)\}/g;

/** Replaces {phone} and {text} with escaped values; any other brace text stays as written. */
export function fillTemplate(template: string, values: { phone: string; text: string }, escape: Escape): string {
  return template.replace(PLACEHOLDER, (_m, name: 'phone' | 'text') => escape(values[name]));
}

const jsonString: Escape = (v) => JSON.stringify(v).slice(1, -1);
const urlEncoded: Escape = (v) => encodeURIComponent(v);
const asIs: Escape = (v) => v;

/** Mainland mobile numbers (11 digits, 1[3-9]…) with an optional +86, or any E.164 number. */
export const PHONE = /^(\+?86)?1[3-9]\d{9}$|^\+[1-9]\d{6,14}$/;

export function smsRequest(e: SmsEndpoint, phone: string, text: string): { url: string; method: string; headers: Record<string, string>; body?: string } {
  const values = { phone, text };
  const headers = Object.fromEntries(Object.entries(e.headers).map(([k, v]) => [k, fillTemplate(v, values, asIs)]));
  const contentType = { json: 'application/json; charset=utf-8', form: 'application/x-www-form-urlencoded', text: 'text/plain; charset=utf-8' }[e.bodyType];
  const hasType = Object.keys(headers).some((k) => k.toLowerCase() === 'content-type');
  const body = e.body === undefined ? undefined : fillTemplate(e.body, values, e.bodyType === 'json' ? jsonString : e.bodyType === 'form' ? urlEncoded : asIs);
  return { url: fillTemplate(e.url, values, urlEncoded), method: e.method, headers: body !== undefined && !hasType ? { ...headers, 'content-type': contentType } : headers, body };
}

export const smsChannel: AlertChannel<SmsEndpoint> = {
  async send(endpoint, to, message, ctx) {
    if (!to || !PHONE.test(to.replace(/[\s-]/g, ''))) throw deliveryError(endpoint, 'the subscription has no valid mobile number in "to"', false);
    const { text } = alertSms(message, ctx.smsSignature, endpoint.maxLength);
    const req = smsRequest(endpoint, to.replace(/[\s-]/g, ''), text);
    const answer = await requestJson(endpoint, req.url, { method: req.method, headers: req.headers, body: req.body }, ctx.timeoutMs);
    if (!endpoint.codePath) return;
    const code = valueAt(answer, endpoint.codePath);
    const is = (list: ReadonlyArray<string | number>) => list.some((c) => String(c) === String(code));
    if (is(endpoint.okCodes)) return;
    throw deliveryError(endpoint, `provider code ${JSON.stringify(code) ?? 'missing'}`, is(endpoint.retryableCodes), { code: code ?? null });
  },
};

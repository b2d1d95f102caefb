import { z } from 'zod';
import { TzError } from '../service-kit/index.ts';
import { subscriptionInput } from './subscriptions.ts';

// The `alerts:` section of the case config file: the time zone of quiet
// hours, the link put in messages, the endpoints (WeCom, DingTalk, Feishu
// robots, an SMTP server, an SMS provider) and subscriptions seeded at start.
// Endpoints carry the secrets, so they live here only — never in the
// database, the logs or an API answer. Any string may be `${ENV_NAME}`
// (or contain it), filled from the environment at start; a missing variable
// is a start-up error, never an empty secret.

const endpointId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'use lower-kebab-case');
const common = { id: endpointId, name: z.string().min(1).max(200).optional() };

export const wecomEndpoint = z.strictObject({
  ...common, kind: z.literal('wecom'),
  /** The group robot's webhook: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=… (the key is the secret). */
  url: z.string().min(1),
});
export const dingtalkEndpoint = z.strictObject({
  ...common, kind: z.literal('dingtalk'),
  /** https://oapi.dingtalk.com/robot/send?access_token=… */
  url: z.string().min(1),
  /** The robot's "加签" secret (SEC…); requests are then signed (timestamp + sign). */
  secret: z.string().min(1).optional(),
});
export const feishuEndpoint = z.strictObject({
  ...common, kind: z.literal('feishu'),
  /** https://open.feishu.cn/open-apis/bot/v2/hook/… */
  url: z.string().min(1),
  /** The bot's signature-verification secret; requests are then signed. */
  secret: z.string().min(1).optional(),
});
export const emailEndpoint = z.strictObject({
  ...common, kind: z.literal('email'),
  host: z.string().min(1),
  port: z.coerce.number().int().min(1).max(65535).default(587),
  /** TLS from the first byte (port 465). */
  secure: z.boolean().default(false),
  /** STARTTLS: required (refuse plain), optional (use when offered), off. */
  starttls: z.enum(['required', 'optional', 'off']).default('optional'),
  /** Accept a self-signed server certificate (a test or in-house relay only). */
  tlsRejectUnauthorized: z.boolean().default(true),
  user: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  from: z.string().min(3),
  /** Default recipient when a subscription names none. */
  to: z.string().min(3).optional(),
});
export const smsEndpoint = z.strictObject({
  ...common, kind: z.literal('sms'),
  method: z.enum(['POST', 'GET', 'PUT']).default('POST'),
  /** May contain {phone} and {text} (URL-encoded when filled). */
  url: z.string().min(1),
  /** Header values may contain {phone}, {text} and, through ${ENV}, the API key. */
  headers: z.record(z.string(), z.string()).default({}),
  /** Body template with {phone} and {text}; values are escaped for `bodyType` (JSON string, form field, plain). */
  body: z.string().optional(),
  bodyType: z.enum(['json', 'form', 'text']).default('json'),
  /** Longest text sent (characters); longer texts are cut with "…". One Chinese SMS segment holds 70 characters, 67 when concatenated. */
  maxLength: z.number().int().min(10).max(1000).default(134),
  /** Provider answer (JSON): where its result code is (dot path) and which values mean success / a retryable failure. */
  codePath: z.string().optional(),
  okCodes: z.array(z.union([z.string(), z.number()])).default([]),
  retryableCodes: z.array(z.union([z.string(), z.number()])).default([]),
});

export const alertEndpointSchema = z.discriminatedUnion('kind', [wecomEndpoint, dingtalkEndpoint, feishuEndpoint, emailEndpoint, smsEndpoint]);
export type AlertEndpoint = z.infer<typeof alertEndpointSchema>;
export type WecomEndpoint = z.infer<typeof wecomEndpoint>;
export type DingtalkEndpoint = z.infer<typeof dingtalkEndpoint>;
export type FeishuEndpoint = z.infer<typeof feishuEndpoint>;
export type EmailEndpoint = z.infer<typeof emailEndpoint>;
export type SmsEndpoint = z.infer<typeof smsEndpoint>;

export const alertsConfigSchema = z.strictObject({
  /** Quiet hours are read in this zone. */
  timeZone: z.string().default('Asia/Shanghai'),
  /** Link to a case in messages; `{caseId}` is replaced. Absent: no link. */
  caseLink: z.string().optional(),
  /** Name in brackets at the start of SMS texts (签名), as Chinese carriers require. */
  smsSignature: z.string().max(20).default('天中'),
  endpoints: z.array(alertEndpointSchema).default([]),
  /** Seeded (and updated) at start with source "config"; more via /api/v1/subscriptions. */
  subscriptions: z.array(subscriptionInput.extend({ id: endpointId })).default([]),
  /** Timeout of one provider request. */
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
});
export type AlertsConfig = z.infer<typeof alertsConfigSchema>;

const ENV_REF = /\$\{([A-Z_][A-Z0-9_]*)\}/g;

/** Fills `${NAME}` in every string of the endpoints from `env`; a missing name fails start-up (and names only the variable). */
export function resolveEndpointSecrets(endpoints: readonly AlertEndpoint[], env: Readonly<Record<string, string | undefined>>): AlertEndpoint[] {
  const missing: string[] = [];
  const fill = (value: unknown, path: string): unknown => {
    if (typeof value === 'string') {
      return value.replace(ENV_REF, (_m, name: string) => {
        const v = env[name];
        if (v === undefined || v === '') missing.push(`${path}: environment variable ${name} is not set`);
        return v ?? '';
      });
    }
    if (Array.isArray(value)) return value.map((v, i) => fill(v, `${path}.${i}`));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, `${path}.${k}`)]));
    return value;
  };
  const out = endpoints.map((e, i) => fill(e, `alerts.endpoints.${i}`) as AlertEndpoint);
  if (missing.length) throw new TzError('TZ_CASE_CONFIG', missing.join('\n'), { details: { problems: missing } });
  // A bad URL is a start-up error that names the field, never the value (it may hold a key).
  out.forEach((e, i) => {
    if (!('url' in e)) return;
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(e.url.replace(/\{(phone|text)\}/g, 'x')).protocol);
    } catch {
      ok = false;
    }
    if (!ok) missing.push(`alerts.endpoints.${i}.url: not an http(s) URL`);
  });
  if (missing.length) throw new TzError('TZ_CASE_CONFIG', missing.join('\n'), { details: { problems: missing } });
  const ids = new Set<string>();
  for (const e of out) {
    if (ids.has(e.id)) throw new TzError('TZ_CASE_CONFIG', `alerts.endpoints: duplicate endpoint "${e.id}"`);
    ids.add(e.id);
  }
  return out;
}

const SECRET_QUERY = /([?&](?:key|access_token|token|secret|sign|apikey|api_key)=)[^&#]*/gi;

/** What an API answer may show of an endpoint: no keys, no passwords, no secrets. */
export function maskedEndpoint(e: AlertEndpoint): Record<string, unknown> {
  const maskUrl = (u: string) => u.replace(SECRET_QUERY, '$1****').replace(/(\/hook\/)[^/?#]+/, '$1****');
  switch (e.kind) {
    case 'wecom':
      return { id: e.id, kind: e.kind, name: e.name ?? e.id, url: maskUrl(e.url), secretSet: true };
    case 'dingtalk':
    case 'feishu':
      return { id: e.id, kind: e.kind, name: e.name ?? e.id, url: maskUrl(e.url), secretSet: e.secret !== undefined };
    case 'email':
      return { id: e.id, kind: e.kind, name: e.name ?? e.id, host: e.host, port: e.port, secure: e.secure, starttls: e.starttls, user: e.user ?? null, from: e.from, secretSet: e.password !== undefined };
    case 'sms':
      return { id: e.id, kind: e.kind, name: e.name ?? e.id, method: e.method, url: maskUrl(e.url), headers: Object.keys(e.headers), maxLength: e.maxLength, secretSet: Object.keys(e.headers).length > 0 };
  }
}

import { TzError } from '../../service-kit/index.ts';
import type { AlertEndpoint } from '../alert-config.ts';
import type { AlertMessage } from './alert-message.ts';

// One notification interface, one adapter per provider (ChirpStack's
// integration/mod.rs): send or throw an AlertDeliveryError that says whether
// trying again may help. The outbox retries the retryable ones with backoff
// and marks the others dead at once (dropped, counted, visible).

export interface SendContext {
  now(): number;
  timeoutMs: number;
  /** 【signature】 at the start of SMS texts. */
  smsSignature: string;
  /** The outbox message id: stable across retries, so receivers can de-duplicate (e-mail Message-ID). */
  deliveryId: string;
}

export interface AlertChannel<E extends AlertEndpoint = AlertEndpoint> {
  send(endpoint: E, to: string | null, message: AlertMessage, ctx: SendContext): Promise<void>;
}

/** A provider refused or could not take a message. The message never contains a secret (no URLs, no keys). */
export function deliveryError(endpoint: AlertEndpoint, problem: string, retryable: boolean, details: Record<string, unknown> = {}): TzError {
  return new TzError('TZ_ALERT_DELIVERY', `${endpoint.kind} endpoint "${endpoint.id}": ${problem}`, { retryable, details: { endpoint: endpoint.id, ...details } });
}

/** HTTP statuses worth retrying: the provider is busy or down. */
export const retryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/** POSTs (or sends) a body and reads a JSON answer; network failures and 5xx/429 are retryable, other non-2xx are not. */
export async function requestJson(endpoint: AlertEndpoint, url: string, init: { method?: string; headers?: Record<string, string>; body?: string }, timeoutMs: number): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { method: init.method ?? 'POST', headers: init.headers, body: init.body, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    // fetch's own message names no URL; the cause (ECONNREFUSED, timeout) is what an operator needs.
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw deliveryError(endpoint, `request failed (${cause})`, true);
  }
  const text = await response.text().catch(() => '');
  if (response.status < 200 || response.status >= 300) throw deliveryError(endpoint, `answered HTTP ${response.status}`, retryableStatus(response.status), { status: response.status });
  if (!text) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { raw: text.slice(0, 200) };
  }
}

/** A JSON value at a dot path ("result.code"). */
export function valueAt(value: unknown, path: string): unknown {
  let here: unknown = value;
  for (const part of path.split('.')) {
    if (here === null || typeof here !== 'object') return undefined;
    here = (here as Record<string, unknown>)[part];
  }
  return here;
}

import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { gzip } from 'node:zlib';
import { HttpError, RequestTimedOutError } from '@influxdata/influxdb-client';
import { influxAuthHeaders, rewriteV1WritePath, toError, type InfluxTarget } from '../service-kit/index.ts';
import { retryDecision } from './write-retry.ts';

/** How one write request ended: durable, worth retrying, or refused for good by the server. */
export type WriteOutcome = { ok: true } | { ok: false; retryable: boolean; retryAfterMs: number | null; error: Error };

export interface LineWriterOptions {
  /** Most lines one request may carry. */
  maxBatchLines: number;
  /** Gzip request bodies (worth it over a WAN; pure CPU cost on loopback). */
  gzip: boolean;
  /** Concurrent requests (keep-alive sockets). */
  concurrency: number;
}

/** A request body: line protocol as UTF-8 pieces sent one after the other (ingest's per-message buffers and the '\n' between them), or one string. */
export type WriteBody = string | Uint8Array | readonly Uint8Array[];

/** The client's defaults: 10 s per request, gzip from 1 kB. */
const REQUEST_TIMEOUT_MS = 10_000;
const GZIP_THRESHOLD = 1000;

/**
 * One InfluxDB write endpoint (1.x `/write?db=&rp=`, or 2.x/3.x
 * `/api/v2/write`), used so that a resolved `send()` means durable: one body,
 * one request, the outcome returned — the caller batches, retries with its
 * own backoff and acknowledges after success.
 *
 * The request is made with node:http (keep-alive agent) and judged exactly
 * as @influxdata/influxdb-client's WriteApi over its Node transport judges
 * it: 204/201 is success; any other status is the client's `HttpError`
 * (status, the server's message from the body or X-Influxdb-Error); a socket
 * error or a 10 s timeout (`RequestTimedOutError`) is retryable. Neither the
 * WriteApi nor the client's transport is on this path: the WriteApi re-counts
 * the UTF-8 bytes of every line in JavaScript to decide when to flush
 * (≈ 1.5 µs per reading, measured with --cpu-prof in the ingest benchmark), a
 * decision WriteBatcher has already made, and its timers and retry buffer had
 * to be off anyway; the transport takes a string body and copies whatever it
 * is given into one new buffer, where ingest already holds the lines as
 * UTF-8 buffers (one per MQTT message) that go to the socket as they are.
 */
export class InfluxLineWriter {
  private readonly agent: HttpAgent;
  private readonly request: typeof httpRequest;
  private readonly options: { host: string; port: string; path: string; method: 'POST'; agent: HttpAgent; headers: OutgoingHttpHeaders };
  private readonly gzip: boolean;

  constructor(target: InfluxTarget, api: 'v1' | 'v2', options: LineWriterOptions) {
    const url = new URL(target.url);
    const secure = url.protocol === 'https:';
    this.agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: options.concurrency + 1 }) : new HttpAgent({ keepAlive: true, maxSockets: options.concurrency + 1 });
    this.request = secure ? (httpsRequest as unknown as typeof httpRequest) : httpRequest;
    // Like the client: the URL's path is a prefix (a reverse proxy's), its query ignored.
    const context = url.pathname.replace(/\/+$/, '');
    const v2Path = `/api/v2/write?org=${encodeURIComponent(target.org ?? '')}&bucket=${encodeURIComponent(target.bucket ?? target.database)}&precision=ms`;
    // 1.x: db/rp and basic auth; 2.x/3.x: the token.
    const path = api === 'v1' ? rewriteV1WritePath(v2Path, target) : v2Path;
    const auth = api === 'v1' ? influxAuthHeaders({ ...target, token: undefined }) : target.token ? { authorization: `Token ${target.token}` } : {};
    this.options = {
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port || (secure ? '443' : '80'),
      path: context + path,
      method: 'POST',
      agent: this.agent,
      headers: { 'content-type': 'text/plain; charset=utf-8', ...auth },
    };
    this.gzip = options.gzip;
  }

  /** One request with this body (lines joined by '\n'). */
  send(body: WriteBody): Promise<WriteOutcome> {
    const parts: readonly Uint8Array[] = typeof body === 'string' ? [Buffer.from(body, 'utf8')] : body instanceof Uint8Array ? [body] : body;
    let length = 0;
    for (const part of parts) length += part.length;
    if (length === 0) return Promise.resolve({ ok: true });
    return new Promise<WriteOutcome>((resolve) => {
      const done = (outcome: WriteOutcome) => resolve(outcome);
      const fail = (err: unknown) => {
        const error = toError(err);
        const decision = retryDecision(error, Date.now());
        done({ ok: false, retryable: decision.retry, retryAfterMs: decision.afterMs, error });
      };
      if (this.gzip && length > GZIP_THRESHOLD) {
        const [only, ...more] = parts;
        gzip(only !== undefined && more.length === 0 ? only : Buffer.concat(parts, length), (err, zipped) => {
          if (err) fail(err);
          else this.post([zipped], zipped.length, { 'content-encoding': 'gzip' }, done, fail);
        });
      } else this.post(parts, length, undefined, done, fail);
    });
  }

  private post(parts: readonly Uint8Array[], length: number, extra: OutgoingHttpHeaders | undefined, done: (outcome: WriteOutcome) => void, fail: (err: unknown) => void): void {
    let settled = false;
    const once = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
    };
    const req: ClientRequest = this.request({ ...this.options, headers: { ...this.options.headers, ...extra, 'content-length': length } }, (res) => judge(res, (outcome) => once(() => done(outcome)), (err) => once(() => fail(err))));
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new RequestTimedOutError()));
    req.on('error', (err) => once(() => fail(err)));
    // Written before the socket is assigned, the pieces go out in one writev with the headers, never copied into a joined buffer.
    for (const part of parts) req.write(part);
    req.end();
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}

/** The WriteApi's verdict on a response (and the Node transport's HttpError for a status ≥ 300). */
function judge(res: IncomingMessage, done: (outcome: WriteOutcome) => void, fail: (err: unknown) => void): void {
  const status = res.statusCode ?? 600;
  res.on('error', fail);
  res.on('close', () => {
    if (!res.complete) fail(new Error('InfluxDB write response cut off'));
  });
  if (status < 300) {
    res.resume();
    res.on('end', () => {
      if (status === 204 || status === 201) done({ ok: true });
      else fail(new HttpError(status, `204 HTTP response status code expected, but ${status} returned`, undefined, '0', undefined, undefined, res.headers));
    });
    return;
  }
  // The server's reason, bounded like the client's (1000 characters unless JSON).
  let text = '';
  const json = String(res.headers['content-type']).startsWith('application/json');
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    text += chunk;
    if (!json && text.length > 1000) text = text.slice(0, 1000);
  });
  res.on('end', () => {
    if (text === '' && res.headers['x-influxdb-error']) text = String(res.headers['x-influxdb-error']);
    fail(new HttpError(status, res.statusMessage, text, res.headers['retry-after'], res.headers['content-type'], undefined, res.headers));
  });
}

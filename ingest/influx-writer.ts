import { Agent } from 'node:http';
import { HttpError, InfluxDB, type HttpHeaders, type SendOptions, type Transport } from '@influxdata/influxdb-client';
import { InfluxV1WriteTransport, toError, type InfluxTarget } from '../service-kit/index.ts';

/** How one write request ended: durable, worth retrying, or refused for good by the server. */
export type WriteOutcome = { ok: true } | { ok: false; retryable: boolean; error: Error };

export interface LineWriterOptions {
  /** Most lines one request may carry (sizes the client's buffer). */
  maxBatchLines: number;
  /** Gzip request bodies (worth it over a WAN; pure CPU cost on loopback). */
  gzip: boolean;
  /** Concurrent requests (keep-alive sockets). */
  concurrency: number;
}

/**
 * One InfluxDB write endpoint (v1 `/write` through the path-rewriting
 * transport, or v2 `/api/v2/write`), used so that a resolved `send()` means
 * durable: one body, one request, the outcome returned — the caller batches,
 * retries with its own backoff and acknowledges after success.
 *
 * The HTTP is @influxdata/influxdb-client's own transport (keep-alive agent,
 * gzip above a threshold, auth headers, HttpError with the status). Its
 * WriteApi is not used on this path: it re-counts the UTF-8 bytes of every
 * line in JavaScript to decide when to flush (≈ 1.5 µs per reading, measured
 * with --cpu-prof in the ingest benchmark), a decision WriteBatcher has already
 * made, and its timers and retry buffer were switched off anyway. The status
 * handling is the WriteApi's: 204/201 is success, anything else an HttpError.
 */
export class InfluxLineWriter {
  private readonly transport: Transport;
  private readonly agent: Agent;
  private readonly path: string;
  private readonly sendOptions: SendOptions;

  constructor(target: InfluxTarget, api: 'v1' | 'v2', options: LineWriterOptions) {
    const token = api === 'v2' ? target.token : undefined;
    this.agent = new Agent({ keepAlive: true, maxSockets: options.concurrency + 1 });
    const plain = new InfluxDB({ url: target.url, token, transportOptions: { agent: this.agent } });
    this.transport = api === 'v1' ? new InfluxV1WriteTransport(plain.transport, target) : plain.transport;
    // v1: org/bucket are placeholders the transport replaces with db/rp.
    const org = api === 'v1' ? 'tianzhong' : (target.org ?? '');
    const bucket = api === 'v1' ? target.database : (target.bucket ?? target.database);
    this.path = `/api/v2/write?org=${encodeURIComponent(org)}&bucket=${encodeURIComponent(bucket)}&precision=ms`;
    this.sendOptions = {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      gzipThreshold: options.gzip ? 1000 : undefined,
    };
  }

  /** One request with this body (lines joined by '\n'). */
  send(body: string): Promise<WriteOutcome> {
    if (body === '') return Promise.resolve({ ok: true });
    return new Promise<WriteOutcome>((resolve) => {
      let status: number | undefined;
      let headers: HttpHeaders | undefined;
      const fail = (err: unknown) => {
        const error = toError(err);
        resolve({ ok: false, retryable: isRetryable(error), error });
      };
      this.transport.send(this.path, body, this.sendOptions, {
        responseStarted(h, statusCode) {
          headers = h;
          status = statusCode;
        },
        error: fail,
        complete() {
          if (status === 204 || status === 201 || status === undefined) resolve({ ok: true });
          else fail(new HttpError(status, `204 HTTP response status code expected, but ${status} returned`, undefined, '0', undefined, undefined, headers));
        },
      });
    });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}

/** 400/413/422 mean the server will never take these lines (field type conflict, bad line); anything else may pass later. */
export function isRetryable(error: Error): boolean {
  if (error instanceof HttpError) return ![400, 413, 422].includes(error.statusCode);
  return true;
}

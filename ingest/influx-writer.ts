import { Agent } from 'node:http';
import { HttpError, InfluxDB, type WriteApi } from '@influxdata/influxdb-client';
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
 * One InfluxDB write API (v1 through the path-rewriting transport, or v2),
 * used so that a resolved `send()` means durable: the client's own timer and
 * size-triggered flushes (which swallow errors) and its hidden retry buffer
 * are switched off; the caller batches, retries with its own backoff and
 * acknowledges after success. Concurrent sends are safe: `writeRecords` then
 * `flush()` hands exactly these lines to one request, synchronously.
 */
export class InfluxLineWriter {
  private readonly writeApi: WriteApi;
  private readonly agent: Agent;

  constructor(target: InfluxTarget, api: 'v1' | 'v2', options: LineWriterOptions) {
    const token = api === 'v2' ? target.token : undefined;
    this.agent = new Agent({ keepAlive: true, maxSockets: options.concurrency + 1 });
    const connection = { url: target.url, token, transportOptions: { agent: this.agent } };
    const plain = new InfluxDB(connection);
    const transport = api === 'v1' ? new InfluxV1WriteTransport(plain.transport, target) : plain.transport;
    const client = new InfluxDB({ ...connection, transport });
    // v1: org/bucket are placeholders the transport replaces with db/rp.
    const org = api === 'v1' ? 'tianzhong' : (target.org ?? '');
    const bucket = api === 'v1' ? target.database : (target.bucket ?? target.database);
    this.writeApi = client.getWriteApi(org, bucket, 'ms', {
      batchSize: options.maxBatchLines + 1,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: options.maxBatchLines + 1,
      gzipThreshold: options.gzip ? 1000 : Number.MAX_SAFE_INTEGER,
      // Returning a rejection makes flush() reject with the error itself and keeps the client from logging to the console.
      writeFailed: (error: Error) => Promise.reject(error),
    });
  }

  /** One request with these lines. */
  async send(lines: string[]): Promise<WriteOutcome> {
    try {
      this.writeApi.writeRecords(lines);
      await this.writeApi.flush();
      return { ok: true };
    } catch (err) {
      const error = toError(err);
      return { ok: false, retryable: isRetryable(error), error };
    }
  }

  async close(): Promise<void> {
    await this.writeApi.close().catch(() => undefined); // nothing is buffered: every send was flushed or failed
    this.agent.destroy();
  }
}

/** 400/413/422 mean the server will never take these lines (field type conflict, bad line); anything else may pass later. */
export function isRetryable(error: Error): boolean {
  if (error instanceof HttpError) return ![400, 413, 422].includes(error.statusCode);
  return true;
}

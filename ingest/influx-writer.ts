import { HttpError, InfluxDB, type Point, type WriteApi } from '@influxdata/influxdb-client';
import { InfluxV1WriteTransport, toError, type InfluxTarget } from '../service-kit/index.ts';

/** How one write attempt ended: durable, worth retrying, or refused for good by the server. */
export type WriteOutcome = { ok: true } | { ok: false; retryable: boolean; error: Error };

/**
 * One InfluxDB write API (v1 through the path-rewriting transport, or v2),
 * used so that a returned `flush()` means durable: the client's own timer and
 * size-triggered flushes (which swallow errors) and its hidden retry buffer are
 * switched off; the caller retries with its own backoff and acks after success.
 */
export class InfluxPointWriter {
  private readonly writeApi: WriteApi;

  constructor(target: InfluxTarget, api: 'v1' | 'v2', private readonly maxBatchLines: number) {
    const token = api === 'v2' ? target.token : undefined;
    const plain = new InfluxDB({ url: target.url, token });
    const transport = api === 'v1' ? new InfluxV1WriteTransport(plain.transport, target) : plain.transport;
    const client = new InfluxDB({ url: target.url, token, transport });
    // v1: org/bucket are placeholders the transport replaces with db/rp.
    const org = api === 'v1' ? 'tianzhong' : (target.org ?? '');
    const bucket = api === 'v1' ? target.database : (target.bucket ?? target.database);
    this.writeApi = client.getWriteApi(org, bucket, 'ms', {
      batchSize: maxBatchLines + 1,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: maxBatchLines + 1,
      // Returning a rejection makes flush() reject with the error itself and keeps the client from logging to the console.
      writeFailed: (error: Error) => Promise.reject(error),
    });
  }

  /** Writes points in chunks of maxBatchLines; resolves when all are durable or the first chunk fails. */
  async write(points: readonly Point[]): Promise<WriteOutcome> {
    for (let i = 0; i < points.length; i += this.maxBatchLines) {
      try {
        this.writeApi.writePoints(points.slice(i, i + this.maxBatchLines));
        await this.writeApi.flush();
      } catch (err) {
        const error = toError(err);
        return { ok: false, retryable: isRetryable(error), error };
      }
    }
    return { ok: true };
  }

  async close(): Promise<void> {
    await this.writeApi.close().catch(() => undefined); // nothing is buffered: every write was flushed or failed
  }
}

/** 400/413/422 mean the server will never take these lines (field type conflict, bad line); anything else may pass later. */
export function isRetryable(error: Error): boolean {
  if (error instanceof HttpError) return ![400, 413, 422].includes(error.statusCode);
  return true;
}

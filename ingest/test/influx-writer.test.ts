// InfluxLineWriter against a real HTTP server on a free port: both write
// paths (1.x /write with basic auth, 2.x /api/v2/write with a token), bodies
// as UTF-8 pieces arriving byte for byte (gzipped or not), and the WriteApi's
// verdicts: 204 ok, 400 refused for good with the server's reason, 5xx and
// timeouts retryable.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { HttpError } from '@influxdata/influxdb-client';
import { InfluxLineWriter } from '../influx-writer.ts';
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from '../write-retry.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

async function withServer(answer: (req: Seen, res: ServerResponse) => void, run: (url: string, seen: Seen[]) => Promise<void>): Promise<void> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      seen.push(s);
      answer(s, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

const accept = (_: Seen, res: ServerResponse) => res.writeHead(204).end();
const LINES = ['m,device=a,district=西湖区 v=1 1700000000000', 'm,device=b v=2 1700000000000', 'm,device=c v=3 1700000000000'];

test('1.x: /write?db=&rp=&precision=ms, basic auth, the pieces arrive as one body, byte for byte', async () => {
  await withServer(accept, async (url, seen) => {
    const writer = new InfluxLineWriter({ url, database: 'city db', retentionPolicy: 'raw', username: 'ingest', password: 'pw' }, 'v1', { maxBatchLines: 5000, gzip: false, concurrency: 2 });
    const pieces = [Buffer.from(LINES[0]!), Uint8Array.of(10), Buffer.from(`${LINES[1]}\n${LINES[2]}`)];
    assert.equal(await writer.send(pieces), { ok: true });
    assert.equal(await writer.send(Buffer.from(LINES[1]!)), { ok: true });
    assert.equal(await writer.send(''), { ok: true }); // nothing to write: no request
    await writer.close();
    assert.is(seen.length, 2);
    assert.is(seen[0]!.method, 'POST');
    assert.is(seen[0]!.url, '/write?db=city+db&rp=raw&precision=ms');
    assert.is(seen[0]!.headers.authorization, `Basic ${Buffer.from('ingest:pw').toString('base64')}`);
    assert.is(seen[0]!.headers['content-type'], 'text/plain; charset=utf-8');
    assert.is(seen[0]!.headers['content-length'], String(Buffer.byteLength(LINES.join('\n'))));
    assert.is(seen[0]!.body.toString('utf8'), LINES.join('\n'));
    assert.is(seen[1]!.body.toString('utf8'), LINES[1]);
  });
});

test('2.x/3.x: /api/v2/write with org, bucket and token; a string body too; gzip when asked', async () => {
  await withServer(accept, async (url, seen) => {
    const target = { url: `${url}/influx/`, database: 'tz', org: 'city', bucket: 'raw data', token: 's3cret' };
    const plain = new InfluxLineWriter(target, 'v2', { maxBatchLines: 5000, gzip: false, concurrency: 1 });
    assert.equal(await plain.send(LINES.join('\n')), { ok: true });
    await plain.close();
    const zipped = new InfluxLineWriter(target, 'v2', { maxBatchLines: 5000, gzip: true, concurrency: 1 });
    const big = Array.from({ length: 100 }, (_, i) => `m,device=d${i} v=${i} 1700000000000`).join('\n');
    assert.equal(await zipped.send([Buffer.from(big)]), { ok: true });
    await zipped.close();
    assert.is(seen[0]!.url, '/influx/api/v2/write?org=city&bucket=raw%20data&precision=ms');
    assert.is(seen[0]!.headers.authorization, 'Token s3cret');
    assert.is(seen[0]!.body.toString('utf8'), LINES.join('\n'));
    assert.is(seen[0]!.headers['content-encoding'], undefined);
    assert.is(seen[1]!.headers['content-encoding'], 'gzip');
    assert.is(gunzipSync(seen[1]!.body).toString('utf8'), big);
  });
});

test('verdicts: 400 refused for good with the server reason, 503 and non-204 success retryable, a dead server retryable', async () => {
  const answers: Array<(res: ServerResponse) => void> = [
    (res) => res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'partial write: field type conflict: input field "v" on measurement "m" is type float, already exists as type integer dropped=1' })),
    (res) => res.writeHead(503, { 'x-influxdb-error': 'engine overloaded' }).end(),
    (res) => res.writeHead(200).end('ok'),
  ];
  await withServer((_, res) => answers.shift()!(res), async (url) => {
    const writer = new InfluxLineWriter({ url, database: 'tz' }, 'v1', { maxBatchLines: 5000, gzip: false, concurrency: 1 });
    const refused = await writer.send(Buffer.from(LINES[0]!));
    assert.ok(!refused.ok && !refused.retryable && refused.error instanceof HttpError && refused.error.statusCode === 400);
    assert.match(refused.ok ? '' : refused.error.message, /field type conflict/);
    const overloaded = await writer.send(Buffer.from(LINES[0]!));
    assert.ok(!overloaded.ok && overloaded.retryable);
    assert.match(overloaded.ok ? '' : overloaded.error.message, /engine overloaded/);
    const odd = await writer.send(Buffer.from(LINES[0]!));
    assert.ok(!odd.ok && odd.retryable && odd.error instanceof HttpError && odd.error.statusCode === 200);
    await writer.close();
  });
  const gone = new InfluxLineWriter({ url: 'http://127.0.0.1:1', database: 'tz' }, 'v1', { maxBatchLines: 5000, gzip: false, concurrency: 1 });
  const outcome = await gone.send(Buffer.from(LINES[0]!));
  assert.ok(!outcome.ok && outcome.retryable, JSON.stringify(outcome));
  await gone.close();
});

test('Retry-After: a 429 or 503 that says when is retried then; seconds or an HTTP-date, capped; 400 never; no header leaves it to our backoff', async () => {
  const answers: Array<[number, Record<string, string>]> = [[429, { 'retry-after': '7' }], [503, { 'retry-after': new Date(Date.now() + 30_000).toUTCString() }], [400, { 'retry-after': '7' }], [503, {}]];
  await withServer((_, res) => {
    const [status, headers] = answers.shift() ?? [204, {}];
    res.writeHead(status, headers).end(status === 400 ? 'bad line' : '');
  }, async (url) => {
    const writer = new InfluxLineWriter({ url, database: 'db' }, 'v1', { maxBatchLines: 5000, gzip: false, concurrency: 1 });
    const tooMany = await writer.send(LINES[0]!);
    assert.ok(!tooMany.ok && tooMany.retryable && tooMany.retryAfterMs === 7_000, JSON.stringify(tooMany));
    const busy = await writer.send(LINES[0]!);
    assert.ok(!busy.ok && busy.retryable && busy.retryAfterMs !== null && busy.retryAfterMs > 25_000 && busy.retryAfterMs <= 30_000, JSON.stringify(busy));
    const refused = await writer.send(LINES[0]!);
    assert.ok(!refused.ok && !refused.retryable && refused.retryAfterMs === null, 'a line refused for good is not retried, whatever the header says');
    const plain = await writer.send(LINES[0]!);
    assert.ok(!plain.ok && plain.retryable && plain.retryAfterMs === null);
    await writer.close();
  });
  assert.is(parseRetryAfter('86400', 0), MAX_RETRY_AFTER_MS, 'a day is capped');
  assert.is(parseRetryAfter('soon', 0), null);
  assert.is(parseRetryAfter(new Date(1_000).toUTCString(), 60_000), 0, 'a date in the past means now');
});

test.run();

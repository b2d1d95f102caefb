import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InfluxDB } from '@influxdata/influxdb-client';
import { detectInfluxApi, rewriteV1WritePath } from '../index.ts';
import { InfluxV1WriteTransport, isTzError } from '../../service-kit/index.ts';

test('the v2 write path becomes /write?db=&rp=&precision=', () => {
  assert.is(rewriteV1WritePath('/api/v2/write?org=tianzhong&bucket=tz&precision=ms', { database: 'tz' }), '/write?db=tz&precision=ms');
  assert.is(rewriteV1WritePath('/api/v2/write?org=o&bucket=b&precision=ns', { database: 'city db', retentionPolicy: 'raw' }), '/write?db=city+db&rp=raw&precision=ns');
  assert.is(rewriteV1WritePath('/ping', { database: 'tz' }), '/ping');
});

test('the wrapped transport sends to /write with basic auth (seen by a real HTTP server)', async () => {
  const seen: Array<{ url: string; auth: string | undefined; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization, body });
      res.writeHead(204, { 'x-influxdb-version': '1.6.7' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const target = { url, database: 'tz', username: 'ingest', password: 'pw' };
    const transport = new InfluxV1WriteTransport(new InfluxDB({ url }).transport, target);
    const api = new InfluxDB({ url, transport }).getWriteApi('x', 'tz', 'ms', { flushInterval: 0, maxRetries: 0 });
    api.writeRecord('m,device=a v=1 1700000000000');
    await api.flush();
    await api.close();
    assert.is(seen[0]?.url, '/write?db=tz&precision=ms');
    assert.is(seen[0]?.auth, `Basic ${Buffer.from('ingest:pw').toString('base64')}`);
    assert.is(seen[0]?.body, 'm,device=a v=1 1700000000000');
    assert.is(await detectInfluxApi(target), 'v1');
    assert.is(await detectInfluxApi({ ...target, apiVersion: 'v2' }), 'v2');
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('an unreachable server is TZ_INFLUX_UNREACHABLE', async () => {
  const err = await detectInfluxApi({ url: 'http://127.0.0.1:1', database: 'x' }).catch((e: unknown) => e);
  assert.ok(isTzError(err, 'TZ_INFLUX_UNREACHABLE'));
});

test.run();

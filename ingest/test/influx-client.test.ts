import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { detectInfluxApi, rewriteV1WritePath } from '../index.ts';
import { isTzError } from '../../service-kit/index.ts';

test('the v2 write path becomes /write?db=&rp=&precision=', () => {
  assert.is(rewriteV1WritePath('/api/v2/write?org=tianzhong&bucket=tz&precision=ms', { database: 'tz' }), '/write?db=tz&precision=ms');
  assert.is(rewriteV1WritePath('/api/v2/write?org=o&bucket=b&precision=ns', { database: 'city db', retentionPolicy: 'raw' }), '/write?db=city+db&rp=raw&precision=ns');
  assert.is(rewriteV1WritePath('/ping', { database: 'tz' }), '/ping');
});

test('/ping decides the write API: 1.x answers X-Influxdb-Version 1.*; the config overrides it (seen by a real HTTP server)', async () => {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(204, { 'x-influxdb-version': req.headers.authorization ? '1.6.7' : 'v2.7.10' }).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const v1 = { url, database: 'tz', username: 'ingest', password: 'pw' };
    assert.is(await detectInfluxApi(v1), 'v1');
    assert.is(await detectInfluxApi({ url, database: 'tz' }), 'v2');
    assert.is(await detectInfluxApi({ ...v1, apiVersion: 'v2' }), 'v2');
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('an unreachable server is TZ_INFLUX_UNREACHABLE', async () => {
  const err = await detectInfluxApi({ url: 'http://127.0.0.1:1', database: 'x' }).catch((e: unknown) => e);
  assert.ok(isTzError(err, 'TZ_INFLUX_UNREACHABLE'));
});

test.run();

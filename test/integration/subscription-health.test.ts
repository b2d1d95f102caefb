// A service the broker lets in but whose subscription it refuses is connected
// and deaf: /healthz must be false (503) and name the refused filter, for
// ingest and for rules alike; with a proper account both turn healthy.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { loadProfiles } from '../../device-profiles/index.ts';
import { startIngest } from '../../ingest/index.ts';
import { startRules } from '../../rules/index.ts';
import { openAccessTokens } from '../../service-kit/index.ts';
import { startInfluxd, tempDir, waitFor, type TestInfluxd } from './helpers.ts';

let influxd: TestInfluxd;
let broker: RunningBroker;
const dir = tempDir('tz-sub-health-');
const profiles = loadProfiles();
const access = openAccessTokens(new Database(':memory:'));

test.before(async () => {
  influxd = await startInfluxd();
  const users = BrokerUsers.inMemory();
  users.add('svc', 'service-secret!', 'service');
  // A crew account may connect but subscribe only to its own crew branch.
  users.add('crew-x', 'crew-secret!', 'crew');
  broker = await startBroker({ users, port: 0 });
});

test.after(async () => {
  await broker?.stop();
  await influxd?.stop();
  dir.remove();
});

type Health = { status: number; body: { subscribed?: boolean; subscriptionsRefused?: string[] } };
async function health(url: string): Promise<Health> {
  const res = await fetch(`${url}/healthz`);
  return { status: res.status, body: (await res.json()) as Health['body'] };
}

const refusedReported = (url: string) => waitFor(`${url}: a refused subscription reported`, async () => {
  const h = await health(url);
  return (h.body.subscriptionsRefused?.length ?? 0) > 0 ? h : undefined;
}, 15_000, 50);
const healthy = (url: string) => waitFor(`${url}: healthy`, async () => {
  const h = await health(url);
  return h.status === 200 ? h : undefined;
}, 15_000, 50);

test('ingest: subscription refused by the ACL → /healthz 503 naming the filter; a service account → 200', async () => {
  const influx = { url: influxd.url, database: influxd.database };
  const deaf = await startIngest({ brokerUrl: broker.mqttUrl, username: 'crew-x', password: 'crew-secret!', clientId: 'ingest-deaf', influx, profiles, deadLetterPath: join(dir.path, 'dl1.sqlite'), lingerMs: 10 });
  try {
    const h = await refusedReported(deaf.httpUrl);
    assert.is(h.status, 503);
    assert.is(h.body.subscribed, false);
    assert.equal(h.body.subscriptionsRefused, ['tz/v1/gw/+/up/batch']);
  } finally {
    await deaf.stop();
  }
  const ok = await startIngest({ brokerUrl: broker.mqttUrl, username: 'svc', password: 'service-secret!', clientId: 'ingest-ok', influx, profiles, deadLetterPath: join(dir.path, 'dl2.sqlite'), lingerMs: 10 });
  try {
    const h = await healthy(ok.httpUrl);
    assert.is(h.body.subscribed, true);
    assert.equal(h.body.subscriptionsRefused, []);
  } finally {
    await ok.stop();
  }
});

test('rules: subscription refused by the ACL → /healthz 503 naming the filters; a service account → 200', async () => {
  const deaf = await startRules({ brokerUrl: broker.mqttUrl, username: 'crew-x', password: 'crew-secret!', clientId: 'rules-deaf', profiles, dbPath: join(dir.path, 'r1.sqlite'), access });
  try {
    const h = await refusedReported(deaf.httpUrl);
    assert.is(h.status, 503);
    assert.is(h.body.subscribed, false);
    assert.ok(h.body.subscriptionsRefused!.includes('tz/v1/gw/+/up/batch'), JSON.stringify(h.body));
  } finally {
    await deaf.stop();
  }
  const ok = await startRules({ brokerUrl: broker.mqttUrl, username: 'svc', password: 'service-secret!', clientId: 'rules-ok', profiles, dbPath: join(dir.path, 'r2.sqlite'), access });
  try {
    const h = await healthy(ok.httpUrl);
    assert.is(h.body.subscribed, true);
  } finally {
    await ok.stop();
  }
});

test.run();

// Child process of the ingest benchmark: simulated gateways publishing
// pre-encoded UplinkBatch messages (QoS 1) as fast as the broker acknowledges
// them. Encodes everything first, prints "ready", waits for "go" on stdin,
// publishes, prints "done <ms>".
import mqtt from 'mqtt';
import { topics } from '../../proto/index.ts';
import { loadProfiles } from '../../device-profiles/index.ts';
import { batchBytes, gatewayId, type LoadShape } from './load.ts';

const config = JSON.parse(process.env.TZ_BENCH_LOAD ?? '{}') as LoadShape & { brokerUrl: string; password: string; window: number };
const profiles = loadProfiles().all();
const messages: Buffer[][] = [];
for (let g = 0; g < config.gateways; g++) {
  const own: Buffer[] = [];
  for (let b = 0; b < config.batchesPerGateway; b++) own.push(Buffer.from(batchBytes(profiles, g, b, config.readingsPerBatch)));
  messages.push(own);
}
const clients = await Promise.all(messages.map((_, g) => mqtt.connectAsync(config.brokerUrl, { clientId: gatewayId(g), username: gatewayId(g), password: config.password, reconnectPeriod: 0 })));
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
const start = performance.now();
await Promise.all(
  clients.map(async (client, g) => {
    let next = 0;
    // `window` publishes in flight per gateway (a store-and-forward queue draining after an outage looks like this).
    await Promise.all(Array.from({ length: config.window }, async () => {
      const own = messages[g] ?? [];
      for (let payload = own[next++]; payload !== undefined; payload = own[next++]) {
        await client.publishAsync(topics.batch(gatewayId(g)), payload, { qos: 1 });
      }
    }));
  }),
);
process.stdout.write(`done ${Math.round(performance.now() - start)}\n`);
await Promise.all(clients.map((c) => c.endAsync()));

// A fleet of gateways for the config-push benchmark, in its own process so
// the broker and the centre do not share its CPU: N real MQTT clients, each
// logged in as its gateway, subscribed to its own down/config; on a config it
// answers the way the edge agent does, with a retained GatewayStatus carrying
// config_version. Prints one JSON line when every client is subscribed.
import mqtt, { type MqttClient } from 'mqtt';
import { decodeGatewayConfig, encodeGatewayStatus, topics, tz } from '../../proto/index.ts';

interface FleetJob { url: string; gateways: string[]; password: string; connectConcurrency: number }

const job = JSON.parse(process.env.TZ_BENCH_FLEET ?? '{}') as FleetJob;
const clients: MqttClient[] = [];
let answered = 0;

async function connect(gatewayId: string): Promise<void> {
  const client = mqtt.connect(job.url, { clientId: gatewayId, username: gatewayId, password: job.password, clean: true, reconnectPeriod: 0, connectTimeout: 60_000, protocolVersion: 4 });
  clients.push(client);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  client.on('message', (_topic, payload) => {
    const config = decodeGatewayConfig(payload);
    const status = encodeGatewayStatus({ gatewayId, state: tz.GatewayState.GATEWAY_STATE_ONLINE, timestampMs: Date.now(), configVersion: config.version, devicesTotal: config.devices.length });
    client.publish(topics.status(gatewayId), Buffer.from(status), { qos: 1, retain: true }, () => void answered++);
  });
  await client.subscribeAsync(topics.config(gatewayId), { qos: 1 });
}

const queue = [...job.gateways];
await Promise.all(Array.from({ length: job.connectConcurrency }, async () => {
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) await connect(id);
}));
console.log(JSON.stringify({ ready: clients.length }));
process.on('SIGTERM', () => {
  void Promise.all(clients.map((c) => c.endAsync(true))).then(() => {
    console.log(JSON.stringify({ answered }));
    process.exit(0);
  });
});

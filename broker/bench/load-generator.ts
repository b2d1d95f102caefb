// The load generator of the broker benchmark, run in its own process so it
// never shares an event loop with the broker it measures. Reads its job from
// TZ_BENCH_LOAD (JSON), prints one JSON result line on stdout.
import mqtt, { type MqttClient } from 'mqtt';

interface Job {
  url: string;
  qos: 0 | 1;
  publishers: number;
  durationMs: number;
  payloadBytes: number;
  /** QoS 1 messages each publisher keeps unacknowledged at once. */
  window: number;
  publisherAuth: Array<{ clientId: string; username?: string; password?: string; topic: string }>;
  subscriber: { clientId: string; username?: string; password?: string; filter: string };
}

const job = JSON.parse(process.env.TZ_BENCH_LOAD ?? '{}') as Job;

function connect(options: { clientId: string; username?: string; password?: string }): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(job.url, { ...options, reconnectPeriod: 0, connectTimeout: 10_000, clean: true });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

const now = () => Number(process.hrtime.bigint()) / 1e6; // ms, sub-ms resolution

async function main(): Promise<void> {
  const sub = await connect(job.subscriber);
  const latencies: number[] = [];
  let received = 0;
  sub.on('message', (_topic, payload) => {
    received += 1;
    latencies.push(now() - payload.readDoubleLE(0));
  });
  await sub.subscribeAsync(job.subscriber.filter, { qos: job.qos });
  const pubs = await Promise.all(job.publisherAuth.slice(0, job.publishers).map((p) => connect(p).then((c) => ({ c, topic: p.topic }))));

  let sent = 0;
  let running = true;
  const start = now();
  const runPublisher = ({ c, topic }: { c: MqttClient; topic: string }) =>
    new Promise<void>((resolve) => {
      let inflight = 0;
      const pump = () => {
        while (running && inflight < job.window) {
          const payload = Buffer.alloc(job.payloadBytes, 0x61);
          payload.writeDoubleLE(now(), 0);
          inflight += 1;
          sent += 1;
          c.publish(topic, payload, { qos: job.qos }, () => {
            inflight -= 1;
            if (running) {
              if (inflight === 0 || inflight < job.window / 2) setImmediate(pump);
            } else if (inflight === 0) resolve();
          });
        }
        if (!running && inflight === 0) resolve();
      };
      pump();
    });
  const timer = setTimeout(() => (running = false), job.durationMs);
  await Promise.all(pubs.map(runPublisher));
  clearTimeout(timer);
  const publishEnd = now();
  // Let the subscriber take what is still on its way (bounded).
  const drainDeadline = now() + 5_000;
  while (received < sent && now() < drainDeadline) await new Promise((r) => setTimeout(r, 20));
  const end = now();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? NaN;
  const result = {
    sent,
    received,
    seconds: (end - start) / 1000,
    publishSeconds: (publishEnd - start) / 1000,
    messagesPerSecond: received / ((end - start) / 1000),
    p50Ms: pct(50),
    p99Ms: pct(99),
  };
  await Promise.all([...pubs.map((p) => p.c.endAsync()), sub.endAsync()]);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`load generator failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

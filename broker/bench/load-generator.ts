// The load generator of the broker benchmark: publishers and the subscriber
// each run in a process of their own (TZ_BENCH_ROLE), never sharing an event
// loop with the broker they measure nor with each other: in one process the
// publishers' loop starved the subscriber, and what was measured as broker
// latency was partly the subscriber waiting for its own process. Times are
// process.hrtime (CLOCK_MONOTONIC, one clock for every process on the
// machine), so a payload's send time can be compared where it is received.
// Reads its job from TZ_BENCH_LOAD (JSON), prints JSON lines on stdout.
import { createInterface } from 'node:readline';
import mqtt, { type MqttClient } from 'mqtt';

interface Job {
  url: string;
  qos: 0 | 1;
  publishers: number;
  durationMs: number;
  payloadBytes: number;
  /** QoS 1: messages each publisher keeps unacknowledged; QoS 0: written but not yet taken by its socket. */
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

const now = () => Number(process.hrtime.bigint()) / 1e6; // ms, sub-ms resolution, CLOCK_MONOTONIC
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

/** Subscribes, says `ready`, counts until told how many were sent (a line on stdin) and all arrived or 5 s passed. */
async function subscriber(): Promise<void> {
  const sub = await connect(job.subscriber);
  const latencies: number[] = [];
  let received = 0;
  let lastAt = 0;
  sub.on('message', (_topic, payload) => {
    received += 1;
    lastAt = now();
    latencies.push(lastAt - payload.readDoubleLE(0));
  });
  await sub.subscribeAsync(job.subscriber.filter, { qos: job.qos });
  say({ ready: true });
  const told = await new Promise<{ sent: number; start: number; publishEnd: number }>((resolve) => {
    createInterface({ input: process.stdin }).once('line', (line) => resolve(JSON.parse(line) as { sent: number; start: number; publishEnd: number }));
  });
  // Let the subscriber take what is still on its way (bounded).
  const drainDeadline = now() + 5_000;
  while (received < told.sent && now() < drainDeadline) await new Promise((r) => setTimeout(r, 20));
  // Delivered messages/s over the whole run: from the first publish to the last delivery (or the end of publishing).
  const end = Math.max(lastAt, told.publishEnd);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? NaN;
  await sub.endAsync();
  say({
    sent: told.sent,
    received,
    seconds: (end - told.start) / 1000,
    publishSeconds: (told.publishEnd - told.start) / 1000,
    messagesPerSecond: received / ((end - told.start) / 1000),
    p50Ms: pct(50),
    p99Ms: pct(99),
  });
}

/** Publishes for durationMs with a window per publisher, then says how many were sent and when. */
async function publishers(): Promise<void> {
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
  await Promise.all(pubs.map((p) => p.c.endAsync()));
  say({ sent, start, publishEnd });
}

(process.env.TZ_BENCH_ROLE === 'subscriber' ? subscriber() : publishers()).catch((err: unknown) => {
  process.stderr.write(`load generator failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

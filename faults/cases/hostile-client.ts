import { connect, type Socket } from 'node:net';
import mqtt from 'mqtt';
import { topics } from '../../proto/index.ts';
import { metricSum } from '../../testing/index.ts';
import { ledgerProblems, resultOf, sleep, untilFreshReadingStored, withPipeline, type FaultCase } from '../harness/fault-case.ts';
import type { Pipeline } from '../harness/pipeline.ts';

// A hostile client next to normal traffic, 1,000 messages a second for a few
// seconds: garbage protobuf from a (stolen) gateway account on its own topic,
// oversized packets and non-MQTT bytes from unauthenticated sockets. Normal
// traffic must lose nothing; every reject must show in /metrics.
const RATE = 1_000;
const SECONDS = Number(process.env.TZ_FAULT_HOSTILE_S ?? 6);
const OVERSIZE = 1024 * 1024; // above the broker's 256 KiB default

/** Bytes no protobuf decoder accepts: wire type 7 does not exist. */
function garbage(i: number): Buffer {
  const b = Buffer.alloc(64 + (i % 200));
  for (let k = 0; k < b.length; k++) b[k] = (i * 31 + k * 17) & 0xff;
  b[0] = 0xff;
  b[1] = 0xff;
  return b;
}

/** An unauthenticated raw TCP socket to the broker: `send` writes once connected; resolves when it is closed, fails, or 2 s pass. */
function rawSocket(port: number, send: (s: Socket) => void): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const done = () => { s.destroy(); resolve(); };
    s.setTimeout(2_000, done);
    s.on('error', done);
    s.on('close', done);
    s.on('connect', () => send(s));
  });
}

/** Announces a 1 MiB PUBLISH and starts sending it. */
function oversized(port: number): Promise<void> {
  // PUBLISH QoS 0, remaining length 1 MiB as an MQTT varint (0x80 0x80 0x40), then a chunk.
  return rawSocket(port, (s) => s.write(Buffer.concat([Buffer.from([0x30, 0x80, 0x80, 0x40]), Buffer.alloc(OVERSIZE / 4, 0x41)])));
}

function noise(port: number): Promise<void> {
  return rawSocket(port, (s) => s.end('GET / HTTP/1.1\r\nHost: broker\r\n\r\n\x00\xff\xfe garbage'));
}

async function attack(p: Pipeline): Promise<{ garbageAcked: number; oversizedSent: number; noiseSent: number; sendingMs: number }> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${p.ports.mqtt}`, { clientId: 'gw-fault-other', username: 'gw-fault-other', password: p.secrets.other, reconnectPeriod: 0 });
  const topic = topics.batch('gw-fault-other');
  let garbageAcked = 0;
  let oversizedSent = 0;
  let noiseSent = 0;
  const pending: Promise<unknown>[] = [];
  const tickMs = 50;
  const perTick = RATE / (1000 / tickMs);
  // Paced against the start, not tick to tick: a late tick is caught up by the next, so the rate holds on a loaded machine.
  const started = Date.now();
  for (let t = 0; t < (SECONDS * 1000) / tickMs; t++) {
    for (let k = 0; k < perTick; k++) {
      const i = t * perTick + k;
      if (i % 20 === 0) { oversizedSent++; pending.push(oversized(p.ports.mqtt)); } // 5 %
      else if (i % 20 === 1) { noiseSent++; pending.push(noise(p.ports.mqtt)); } // 5 %
      else pending.push(client.publishAsync(topic, garbage(i), { qos: 1 }).then(() => { garbageAcked++; }, () => undefined));
    }
    await sleep(Math.max(0, started + (t + 1) * tickMs - Date.now()));
  }
  const sendingMs = Date.now() - started;
  await Promise.all(pending);
  await client.endAsync();
  return { garbageAcked, oversizedSent, noiseSent, sendingMs };
}

export const faultCase: FaultCase = {
  name: 'hostile-client',
  run: () => withPipeline('hostile-client', {}, async (p) => {
    await untilFreshReadingStored(p, 0, 30_000);
    const attackStarted = Date.now();
    const sent = await attack(p);
    const attackMs = Date.now() - attackStarted;
    // Recovery: from the end of the attack until a reading polled after it is stored.
    const fresh = await untilFreshReadingStored(p, attackStarted + attackMs, 30_000);
    const ledger = await p.drain();
    const problems = ledgerProblems(ledger);
    const oversizedCounted = await metricSum(p.url('broker'), 'tz_broker_oversized_packets_total');
    const malformed = await p.ingestMetric('tz_ingest_dead_lettered_total');
    if (oversizedCounted < sent.oversizedSent) problems.push(`broker counted ${oversizedCounted} oversized packets of ${sent.oversizedSent} sent (tz_broker_oversized_packets_total)`);
    if (malformed < sent.garbageAcked) problems.push(`ingest dead-lettered ${malformed} of ${sent.garbageAcked} garbage messages the broker accepted (tz_ingest_dead_lettered_total)`);
    const clientErrors = await metricSum(p.url('broker'), 'tz_broker_client_errors_total');
    // Messages sent per second of the sending window (the acknowledgements of the last ones may come later).
    const rate = Math.round((sent.garbageAcked + sent.oversizedSent + sent.noiseSent) / (sent.sendingMs / 1000));
    return resultOf('hostile-client', ledger, fresh, problems, [
      `attack ${rate}/s for ${(sent.sendingMs / 1000).toFixed(1)} s: garbage ${sent.garbageAcked} (dead-lettered ${malformed}), oversized ${sent.oversizedSent} (counted ${oversizedCounted}), non-MQTT ${sent.noiseSent} (client errors ${clientErrors})`,
    ]);
  }),
};

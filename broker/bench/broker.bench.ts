// Broker throughput: our Aedes broker (auth + ACL hooks on, as in production)
// side by side with Debian's Mosquitto (password file + ACL file), both fed
// by the same load generator running in its own process, in the same run.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrokerUsers, startBroker } from '../index.ts';
import { freePort } from '../../testing/index.ts';
import { createLogger, markdownTable, type Bench } from '../../service-kit/index.ts';

const PUBLISHERS = 4;
const PAYLOAD_BYTES = 120;
const PASSWORD = 'bench-password-123';

interface LoadResult { sent: number; received: number; seconds: number; messagesPerSecond: number; p50Ms: number; p99Ms: number }

const gatewayIds = Array.from({ length: PUBLISHERS }, (_, i) => `gw-bench-${i}`);
const publisherAuth = gatewayIds.map((id) => ({ clientId: id, username: id, password: PASSWORD, topic: `tz/v1/gw/${id}/up/batch` }));
const subscriber = { clientId: 'bench-ingest', username: 'bench-ingest', password: PASSWORD, filter: 'tz/v1/gw/+/up/batch' };

function runLoad(url: string, qos: 0 | 1, durationMs: number): Promise<LoadResult> {
  const script = fileURLToPath(new URL('./load-generator.ts', import.meta.url));
  const job = { url, qos, publishers: PUBLISHERS, durationMs, payloadBytes: PAYLOAD_BYTES, window: qos === 0 ? 200 : 100, publisherAuth, subscriber };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, TZ_BENCH_LOAD: JSON.stringify(job) }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)!) as LoadResult);
      } catch (err) {
        reject(err);
      }
    });
  });
}

async function startMosquitto(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  // Started as root, mosquitto drops to its own user: it must be able to read this folder.
  chmodSync(dir, 0o755);
  const passwd = join(dir, 'passwd');
  execFileSync('mosquitto_passwd', ['-c', '-b', passwd, subscriber.username, PASSWORD], { stdio: 'ignore' });
  for (const id of gatewayIds) execFileSync('mosquitto_passwd', ['-b', passwd, id, PASSWORD], { stdio: 'ignore' });
  // The same policy as ours: a gateway writes its own branch, the service reads all uplinks.
  writeFileSync(join(dir, 'acl'), [`user ${subscriber.username}`, 'topic read tz/v1/gw/+/up/#', '', 'pattern write tz/v1/gw/%u/up/#', ''].join('\n'));
  writeFileSync(join(dir, 'mosquitto.conf'), [
    `listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${passwd}`, `acl_file ${join(dir, 'acl')}`,
    'persistence false', 'max_queued_messages 100000', 'max_inflight_messages 0', 'log_dest stderr', 'log_type error', '',
  ].join('\n'));
  // Debian installs the daemon in /usr/sbin, often not on a user's PATH.
  const binary = existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto';
  const child: ChildProcess = spawn(binary, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => undefined);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = createConnection(port, '127.0.0.1', () => (s.end(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('mosquitto did not start (Debian package mosquitto)');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `mqtt://127.0.0.1:${port}`, stop: async () => { child.kill('SIGTERM'); await exited; } };
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');

export const bench: Bench = {
  name: 'broker-throughput',
  title: 'Broker throughput: Aedes (ours, auth + ACL hooks) vs Mosquitto',
  async run(ctx) {
    const durationMs = ctx.quick ? 1_000 : 5_000;
    const dir = mkdtempSync(join(tmpdir(), 'tz-broker-bench-'));
    const users = BrokerUsers.inMemory();
    for (const id of gatewayIds) users.add(id, PASSWORD, 'gateway');
    users.add(subscriber.username, PASSWORD, 'ingest');
    const ours = await startBroker({ users, port: 0, log: createLogger('broker', 'warn') });
    const mosquitto = await startMosquitto(dir).catch(async (err: unknown) => {
      await ours.stop();
      throw err;
    });
    const rows: string[][] = [];
    const ratios: string[] = [];
    try {
      for (const qos of [0, 1] as const) {
        ctx.progress(`QoS ${qos}: Aedes (ours)`);
        const a = await runLoad(ours.mqttUrl, qos, durationMs);
        ctx.progress(`QoS ${qos}: Mosquitto`);
        const m = await runLoad(mosquitto.url, qos, durationMs);
        for (const [name, r] of [['Aedes (ours)', a], ['Mosquitto 2.0', m]] as const) {
          rows.push([`QoS ${qos}`, name, fmt(r.messagesPerSecond), fmt(r.p50Ms, 2), fmt(r.p99Ms, 2), `${fmt(r.received)} / ${fmt(r.sent)}`]);
        }
        ratios.push(`QoS ${qos}: Aedes delivers **${(a.messagesPerSecond / m.messagesPerSecond).toFixed(2)}×** Mosquitto's messages/s; p99 latency **${(a.p99Ms / m.p99Ms).toFixed(2)}×** Mosquitto's.`);
      }
    } finally {
      await mosquitto.stop();
      await ours.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    return [
      `${PUBLISHERS} gateway publishers and 1 subscriber (\`tz/v1/gw/+/up/batch\`), ${PAYLOAD_BYTES}-byte payloads, ${durationMs / 1000} s per run; the load generator (mqtt.js) runs in its own process, the broker under test in another.`,
      'Ours: `startBroker` with scrypt logins, deny-by-default ACL hooks, the connection guard and metrics on. Peer: Debian `mosquitto` with a password file and an equivalent ACL file, same machine, same run.',
      'Publishers keep a window of messages in flight (QoS 0: 200 written, QoS 1: 100 unacknowledged); latency is publish-to-delivery, measured in the load generator.',
      '',
      markdownTable(['QoS', 'broker', 'delivered msg/s', 'p50 ms', 'p99 ms', 'received / sent'], rows),
      '',
      ...ratios.map((r) => `- ${r}`),
    ].join('\n');
  },
};

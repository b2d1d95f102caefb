// The two brokers under the same load: the load generator's processes
// (load-generator.ts) driven from the bench, Debian's Mosquitto started with
// the same accounts and policy as ours, and the bench's accounts. Shared by
// broker.bench.ts and ad-hoc profiling runs.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrokerUsers } from '../index.ts';
import { freePort } from '../../testing/index.ts';

export const PUBLISHERS = 4;
export const PAYLOAD_BYTES = 120;
const PASSWORD = 'bench-password-123';

export interface LoadResult { sent: number; received: number; seconds: number; messagesPerSecond: number; p50Ms: number; p99Ms: number }

const gatewayIds = Array.from({ length: PUBLISHERS }, (_, i) => `gw-bench-${i}`);
const publisherAuth = gatewayIds.map((id) => ({ clientId: id, username: id, password: PASSWORD, topic: `tz/v1/gw/${id}/up/batch` }));
const subscriber = { clientId: 'bench-ingest', username: 'bench-ingest', password: PASSWORD, filter: 'tz/v1/gw/+/up/batch' };

/** One load-generator process (role publishers or subscriber); `lines` gets each JSON line it prints. */
function spawnLoad(role: 'publishers' | 'subscriber', job: object, lines: (line: Record<string, unknown>) => void): { child: ChildProcess; done: Promise<void> } {
  const script = fileURLToPath(new URL('./load-generator.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, TZ_BENCH_LOAD: JSON.stringify(job), TZ_BENCH_ROLE: role },
    stdio: [role === 'subscriber' ? 'pipe' : 'ignore', 'pipe', 'inherit'],
  });
  let buffered = '';
  child.stdout?.on('data', (c: Buffer) => {
    buffered += c.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) lines(JSON.parse(line) as Record<string, unknown>);
    }
  });
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`load generator (${role}) exited with ${code}`))));
  });
  return { child, done };
}

/** The subscriber in one process, the publishers in another (load-generator.ts), the broker in a third. */
export async function runLoad(url: string, qos: 0 | 1, durationMs: number): Promise<LoadResult> {
  const job = { url, qos, publishers: PUBLISHERS, durationMs, payloadBytes: PAYLOAD_BYTES, window: qos === 0 ? 200 : 100, publisherAuth, subscriber };
  let ready: () => void = () => undefined;
  const subscribed = new Promise<void>((resolve) => (ready = resolve));
  let result: LoadResult | undefined;
  const sub = spawnLoad('subscriber', job, (line) => {
    if (line.ready === true) ready();
    else result = line as unknown as LoadResult;
  });
  await Promise.race([subscribed, sub.done]);
  let told: Record<string, unknown> | undefined;
  const pubs = spawnLoad('publishers', job, (line) => (told = line));
  await pubs.done;
  if (!told) throw new Error('load generator (publishers) said nothing');
  sub.child.stdin?.end(`${JSON.stringify(told)}\n`);
  await sub.done;
  if (!result) throw new Error('load generator (subscriber) said nothing');
  return result;
}

export async function startMosquitto(dir: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
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
  return { url: `mqtt://127.0.0.1:${port}`, pid: child.pid ?? 0, stop: async () => { child.kill('SIGTERM'); await exited; } };
}

/** The bench's accounts in an in-memory users store: the gateways and the ingest subscriber. */
export function benchUsers(): BrokerUsers {
  const users = BrokerUsers.inMemory();
  for (const id of gatewayIds) users.add(id, PASSWORD, 'gateway');
  users.add(subscriber.username, PASSWORD, 'ingest');
  return users;
}

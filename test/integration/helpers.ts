// The one helper integration tests share: real servers on loopback, free
// ports, temporary folders, stopped after the test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startManagedInfluxd, freePort } from '../../cli/managed-influxd.ts';

export { freePort };

export interface TestInfluxd {
  url: string;
  /** A database name unique to this test run. */
  database: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** A real influxd (Debian package `influxdb`) with its data in a temp folder. */
export async function startInfluxd(): Promise<TestInfluxd> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tz-influxd-'));
  const influxd = await startManagedInfluxd({ dataDir });
  return {
    url: influxd.url,
    database: `tz_test_${process.pid}`,
    dataDir,
    async stop() {
      await influxd.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A fresh temp folder, removed by the returned function. */
export function tempDir(prefix = 'tz-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Polls `probe` until it returns a value that is not undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Options for {@link writeSimulatedTelemetry}. */
export interface SimulatedTelemetryOptions {
  /** Device profiles to simulate (one measurement each, as ARCHITECTURE.md lays out). */
  profiles: ReadonlyArray<{ class: string; version: number; measurement: string; metrics: ReadonlyArray<{ name: string; type: 'number' | 'integer' | 'boolean'; min?: number; max?: number }> }>;
  devicesPerClass?: number;
  districts?: readonly string[];
  /** Readings per device, `everyMs` apart, the last one at `endMs`. */
  readingsPerDevice?: number;
  everyMs?: number;
  endMs?: number;
  seed?: number;
}

/**
 * Fills a real influxd with seeded readings in the InfluxDB layout of
 * ARCHITECTURE.md (measurement per class; tags device, gateway, district,
 * profile_version; one field per metric plus seq; device time in ms), written
 * as line protocol to /write. Returns the device ids per class.
 */
export async function writeSimulatedTelemetry(influx: { url: string; database: string }, options: SimulatedTelemetryOptions): Promise<Map<string, string[]>> {
  const { devicesPerClass = 4, districts = ['gulou', 'xuanwu'], readingsPerDevice = 144, everyMs = 600_000, endMs = Date.now(), seed = 7 } = options;
  let state = seed >>> 0 || 1;
  const random = (): number => {
    state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
    return state / 0x1_0000_0000;
  };
  await fetch(`${influx.url}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE "${influx.database}"` }) });
  const devices = new Map<string, string[]>();
  const lines: string[] = [];
  for (const profile of options.profiles) {
    const ids: string[] = [];
    const prefix = profile.class.split('-').map((w) => w[0]).join('');
    for (let d = 0; d < devicesPerClass; d++) {
      const deviceId = `${prefix}-${String(d + 1).padStart(4, '0')}`;
      ids.push(deviceId);
      const tags = `device=${deviceId},district=${districts[d % districts.length]},gateway=gw-${String((d % 2) + 1).padStart(4, '0')},profile_version=${profile.version}`;
      for (let i = 0; i < readingsPerDevice; i++) {
        const fields = profile.metrics.map((m) => {
          const lo = m.min ?? 0;
          const hi = m.max ?? 100;
          if (m.type === 'boolean') return `${m.name}=${random() < 0.3 ? 'true' : 'false'}`;
          if (m.type === 'integer') return `${m.name}=${Math.round(lo + random() * (hi - lo))}i`;
          return `${m.name}=${(lo + random() * (hi - lo)).toFixed(2)}`;
        });
        lines.push(`${profile.measurement},${tags} ${fields.join(',')},seq=${i + 1}i ${endMs - (readingsPerDevice - 1 - i) * everyMs}`);
      }
    }
    devices.set(profile.class, ids);
  }
  for (let i = 0; i < lines.length; i += 5000) {
    const res = await fetch(`${influx.url}/write?db=${encodeURIComponent(influx.database)}&precision=ms`, { method: 'POST', body: lines.slice(i, i + 5000).join('\n') });
    if (res.status !== 204) throw new Error(`influxd refused the simulated telemetry: ${res.status} ${await res.text()}`);
  }
  return devices;
}

/** A real influxd that can be stopped and started again on the same data folder and port (outage tests). */
export interface RestartableInfluxd extends TestInfluxd {
  /** Stops the server (SIGTERM), keeping its data. */
  halt(): Promise<void>;
  /** Starts it again on the same port and data. */
  restart(): Promise<void>;
}

export async function startRestartableInfluxd(): Promise<RestartableInfluxd> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tz-influxd-'));
  let current: Awaited<ReturnType<typeof startManagedInfluxd>> | null = await startManagedInfluxd({ dataDir });
  const port = Number(new URL(current.url).port);
  const url = current.url;
  return {
    url,
    database: `tz_test_${process.pid}`,
    dataDir,
    async halt() {
      await current?.stop();
      current = null;
    },
    async restart() {
      current ??= await startManagedInfluxd({ dataDir, port });
    },
    async stop() {
      await current?.stop();
      current = null;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// --- broker tests (issue 4): Redis, certificates, mosquitto clients ---

export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * A real `redis-server` (Debian package `redis-server`) on a free loopback
 * port, data in a temp folder. `persist: true` turns on the append-only file
 * so the data survives `restart()`-style tests that stop brokers, not Redis.
 */
export async function startRedis(options: { persist?: boolean } = {}): Promise<TestRedis> {
  const { spawn } = await import('node:child_process');
  const { connect } = await import('node:net');
  const port = await freePort();
  const dir = tempDir('tz-redis-');
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir.path, '--save', '', '--appendonly', options.persist ? 'yes' : 'no', '--protected-mode', 'no', '--daemonize', 'no', '--loglevel', 'warning'];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => undefined);
  await waitFor(`redis-server on port ${port}${stderr ? `: ${stderr}` : ''}`, () =>
    new Promise<true | undefined>((resolve) => {
      if (child.exitCode !== null) return resolve(undefined);
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end('PING\r\n');
        resolve(true);
      });
      socket.once('error', () => resolve(undefined));
    }), 10_000, 50);
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      dir.remove();
    },
  };
}

export interface TestCertificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** A client certificate signed by the CA with the given CN. */
  client(cn: string): { cert: string; key: string };
  /** A client certificate signed by a CA the broker does not trust. */
  rogueClient(cn: string): { cert: string; key: string };
}

/** A CA, a server certificate for 127.0.0.1/localhost, and client certificates on demand, made with the `openssl` CLI. */
export async function makeTestCertificates(dir: string): Promise<TestCertificates> {
  const { execFileSync } = await import('node:child_process');
  const { writeFileSync } = await import('node:fs');
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const makeCa = (name: string) => {
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`);
  };
  const sign = (name: string, cn: string, ca: string, ext?: string) => {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    const extArgs = ext ? (writeFileSync(join(dir, `${name}.ext`), ext), ['-extfile', `${name}.ext`]) : [];
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-out', `${name}.crt`, ...extArgs);
    return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  };
  makeCa('test-ca');
  makeCa('rogue-ca');
  const server = sign('server', 'localhost', 'test-ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  return {
    dir,
    caCert: join(dir, 'test-ca.crt'),
    serverCert: server.cert,
    serverKey: server.key,
    client: (cn) => sign(`client-${cn}`, cn, 'test-ca'),
    rogueClient: (cn) => sign(`rogue-${cn}`, cn, 'rogue-ca'),
  };
}

/** Runs a mosquitto-clients tool (`mosquitto_pub`, `mosquitto_sub`) to completion; never throws on a non-zero exit. */
export async function runMosquittoClient(tool: 'mosquitto_pub' | 'mosquitto_sub', args: string[], timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${tool} cannot run (Debian package mosquitto-clients): ${err.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * An MQTT client connected over TCP without reconnects, pushed onto `tracked`
 * so the test can end it; rejects with the broker's refusal (and ends the client).
 */
export function connectMqtt(url: string, options: IClientOptions, tracked: MqttClient[]): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
    tracked.push(c);
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}

export interface RestartableRedis extends TestRedis {
  /** SIGKILL, as a crash would; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts redis-server again on the same port and folder (its append-only file brings the data back). */
  start(): Promise<void>;
}

/**
 * A real `redis-server` with the append-only file on (`appendfsync always`,
 * so every acknowledged write is on disk before the reply), which tests kill
 * and start again on the same port.
 */
export async function startRestartableRedis(): Promise<RestartableRedis> {
  const { spawn } = await import('node:child_process');
  const { connect } = await import('node:net');
  const port = await freePort();
  const dir = tempDir('tz-redis-');
  let child: ReturnType<typeof spawn> | undefined;
  let exited: Promise<void> = Promise.resolve();
  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir.path, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--protected-mode', 'no', '--daemonize', 'no', '--loglevel', 'warning'];
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.once('error', () => undefined);
    await waitFor(`redis-server on port ${port}`, () =>
      new Promise<true | undefined>((resolve) => {
        if (proc.exitCode !== null) throw new Error(`redis-server exited: ${stderr}`);
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.end('PING\r\n');
          resolve(true);
        });
        socket.once('error', () => resolve(undefined));
      }), 10_000, 20);
  };
  await start();
  const kill = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    kill,
    start,
    async stop() {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      dir.remove();
    },
  };
}

// --- PostgreSQL (issue 20): the stores' scale-out database ---

export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/tz_test` (trust auth on loopback, test only). */
  url: string;
  port: number;
  /** A fresh empty database on the same server; resolves with its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown) and starts it again on the same port and data (fault tests). */
  restart(): Promise<void>;
  /** The two halves of restart(), for a test that acts while the server is away. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  stop(): Promise<void>;
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

/**
 * A real PostgreSQL 15 server (Debian package `postgresql`) on a free
 * loopback port, data and unix socket in a temp folder, fsync on. PostgreSQL
 * refuses to run as root, so under root (tests, CI) initdb and pg_ctl run as
 * the `postgres` user through runuser and the folder is handed to it.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const { execFile } = await import('node:child_process');
  const { existsSync, chownSync, chmodSync } = await import('node:fs');
  const { userInfo } = await import('node:os');
  const { Client } = (await import('pg')).default;
  for (const tool of ['initdb', 'pg_ctl', 'postgres']) {
    if (!existsSync(join(PG_BIN, tool))) throw new Error(`${join(PG_BIN, tool)} is missing: install the Debian package postgresql (apt-get install postgresql)`);
  }
  const asRoot = process.getuid?.() === 0;
  const run = (tool: string, args: string[]): Promise<string> => new Promise((resolve, reject) => {
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, tool), ...args]] : [join(PG_BIN, tool), args];
    execFile(cmd, argv, { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${tool} failed: ${err.message}\n${stderr}`)) : resolve(stdout)));
  });
  const dir = tempDir('tz-postgres-');
  if (asRoot) {
    const uid = await new Promise<string>((resolve, reject) => execFile('id', ['-u', 'postgres'], (err, out) => (err ? reject(new Error('no postgres user: install the Debian package postgresql')) : resolve(out))));
    const gid = await new Promise<string>((resolve, reject) => execFile('id', ['-g', 'postgres'], (err, out) => (err ? reject(err) : resolve(out))));
    chownSync(dir.path, Number(uid.trim()), Number(gid.trim()));
  }
  chmodSync(dir.path, 0o700);
  const data = join(dir.path, 'data');
  const superuser = asRoot ? 'postgres' : userInfo().username;
  await run('initdb', ['-D', data, '-A', 'trust', '-U', superuser, '-E', 'UTF8', '--locale', 'C', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir.path} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=100`;
  const start = () => run('pg_ctl', ['start', '-w', '-t', '60', '-D', data, '-l', join(dir.path, 'postgres.log'), '-o', options]);
  const stopServer = () => run('pg_ctl', ['stop', '-w', '-m', 'fast', '-D', data]);
  await start();
  let running = true;
  const base = `postgres://${superuser}@127.0.0.1:${port}`;
  const createDatabase = async (name: string): Promise<string> => {
    const client = new Client({ connectionString: `${base}/postgres` });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
    } finally {
      await client.end();
    }
    return `${base}/${name}`;
  };
  const url = await createDatabase('tz_test');
  return {
    url, port, createDatabase,
    async restart() {
      await stopServer();
      await start();
    },
    async stopServer() {
      await stopServer();
    },
    async startServer() {
      await start();
    },
    async stop() {
      if (running) {
        running = false;
        await stopServer().catch(() => undefined);
      }
      dir.remove();
    },
  };
}

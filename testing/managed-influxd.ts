import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { TzError, delay, type Logger } from '../service-kit/index.ts';
import { freePort } from './free-port.ts';

// A private influxd (InfluxDB 1.x, Debian package `influxdb`) for one machine
// setups and tests: own data folder, loopback only, free ports, no phone-home.

export interface ManagedInfluxd {
  url: string;
  dataDir: string;
  pid: number;
  stop(): Promise<void>;
}

export interface ManagedInfluxdOptions {
  dataDir: string;
  /** HTTP port; 0 picks a free one. */
  port?: number;
  binary?: string;
  startTimeoutMs?: number;
  log?: Logger;
}

export function influxdAvailable(binary = 'influxd'): boolean {
  return spawnSync(binary, ['version'], { stdio: 'ignore' }).status === 0;
}

function configToml(dataDir: string, httpPort: number, rpcPort: number): string {
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${join(dataDir, 'meta')}"
[data]
  dir = "${join(dataDir, 'data')}"
  wal-dir = "${join(dataDir, 'wal')}"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = true
[subscriber]
  enabled = false
`;
}

export async function startManagedInfluxd(options: ManagedInfluxdOptions): Promise<ManagedInfluxd> {
  const binary = options.binary ?? 'influxd';
  if (!influxdAvailable(binary)) {
    throw new TzError('TZ_INFLUXD_MISSING', `'${binary}' was not found. Install InfluxDB 1.x: apt-get install -y influxdb (Debian/Ubuntu), or point INFLUX_URL at an InfluxDB you run.`);
  }
  mkdirSync(options.dataDir, { recursive: true });
  const httpPort = options.port || (await freePort());
  const rpcPort = await freePort();
  const configFile = join(options.dataDir, 'influxd.conf');
  writeFileSync(configFile, configToml(options.dataDir, httpPort, rpcPort));
  const logFile = createWriteStream(join(options.dataDir, 'influxd.log'), { flags: 'a' });
  // Its own process group: Ctrl-C reaches the whole foreground group, and
  // influxd must outlive ingest's last write, so the stack stops it last.
  const child: ChildProcess = spawn(binary, ['run', '-config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const killOnExit = (): void => {
    child.kill('SIGTERM');
  };
  process.once('exit', killOnExit);
  // Two pipes into one file: neither may end it (the first to finish would, and the
  // other's next chunk is then a write after end); the file closes once the child
  // has closed both.
  child.stdout?.pipe(logFile, { end: false });
  child.stderr?.pipe(logFile, { end: false });
  child.once('close', () => logFile.end());
  const url = `http://127.0.0.1:${httpPort}`;
  let exited: number | null = null;
  child.on('exit', (code) => {
    exited = code ?? -1;
  });
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    if (exited !== null) throw new TzError('TZ_INFLUX_UNREACHABLE', `influxd exited with code ${exited} during start-up; see ${join(options.dataDir, 'influxd.log')}`);
    try {
      const res = await fetch(`${url}/ping`);
      if (res.status === 204) break;
    } catch {
      // not listening yet: keep polling until the deadline
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new TzError('TZ_INFLUX_UNREACHABLE', `influxd did not answer /ping within ${options.startTimeoutMs ?? 30_000} ms; see ${join(options.dataDir, 'influxd.log')}`);
    }
    await delay(100);
  }
  options.log?.info({ url, dataDir: options.dataDir, pid: child.pid }, 'managed influxd started');
  return {
    url,
    dataDir: options.dataDir,
    pid: child.pid ?? -1,
    async stop() {
      if (exited !== null) return;
      process.removeListener('exit', killOnExit);
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
      logFile.end();
    },
  };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startManagedInfluxd } from './managed-influxd.ts';

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

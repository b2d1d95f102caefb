// The one helper integration tests share: real servers on loopback, free
// ports, temporary folders, stopped after the test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

import { freePort } from './free-port.ts';
import { tempDir } from './temp-dir.ts';
import { waitFor } from './wait-for.ts';

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

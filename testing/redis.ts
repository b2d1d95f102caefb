import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './free-port.ts';
import { tempDir } from './temp-dir.ts';
import { waitFor } from './wait-for.ts';

export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface RestartableRedis extends TestRedis {
  /** SIGKILL, as a crash would; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts redis-server again on the same port and folder (its append-only file brings the data back). */
  start(): Promise<void>;
}

/** One redis-server process on loopback, resolved once it accepts a connection; throws with its stderr if it exits first. */
async function runRedis(port: number, dir: string, persistence: string[]): Promise<{ child: ChildProcess; exited: Promise<void> }> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence, '--protected-mode', 'no', '--daemonize', 'no', '--loglevel', 'warning'];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => undefined);
  await waitFor(`redis-server on port ${port}`, () =>
    new Promise<true | undefined>((resolve) => {
      if (child.exitCode !== null) throw new Error(`redis-server exited (Debian package redis-server): ${stderr}`);
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end('PING\r\n');
        resolve(true);
      });
      socket.once('error', () => resolve(undefined));
    }), 10_000, 20);
  return { child, exited };
}

const alive = (child: ChildProcess | undefined): child is ChildProcess => child !== undefined && child.exitCode === null && child.signalCode === null;

/**
 * A real `redis-server` (Debian package `redis-server`) on a free loopback
 * port, data in a temp folder. `persist: true` turns on the append-only file
 * so the data survives `restart()`-style tests that stop brokers, not Redis.
 */
export async function startRedis(options: { persist?: boolean } = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = tempDir('tz-redis-');
  const { child, exited } = await runRedis(port, dir.path, ['--appendonly', options.persist ? 'yes' : 'no']);
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    async stop() {
      if (alive(child)) {
        child.kill('SIGTERM');
        await exited;
      }
      dir.remove();
    },
  };
}

/**
 * A real `redis-server` with the append-only file on (`appendfsync always`,
 * so every acknowledged write is on disk before the reply), which tests kill
 * and start again on the same port.
 */
export async function startRestartableRedis(): Promise<RestartableRedis> {
  const port = await freePort();
  const dir = tempDir('tz-redis-');
  let current: { child: ChildProcess; exited: Promise<void> } | undefined;
  const start = async (): Promise<void> => {
    current = await runRedis(port, dir.path, ['--appendonly', 'yes', '--appendfsync', 'always']);
  };
  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    if (current && alive(current.child)) {
      current.child.kill(signal);
      await current.exited;
    }
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    kill: () => halt('SIGKILL'),
    start,
    async stop() {
      await halt('SIGTERM');
      dir.remove();
    },
  };
}

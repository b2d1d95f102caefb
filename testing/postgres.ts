import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { tempDir } from './temp-dir.ts';

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

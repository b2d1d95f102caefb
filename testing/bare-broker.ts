import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AedesOptions, type AuthenticateError } from 'aedes';

// A plain Aedes on a loopback port, for tests of a broker's clients (the
// edge agent, the rules service, the console) rather than of our broker
// (broker/ has its own `startBroker` with logins and ACLs). Anyone may connect
// unless `login` is given.

export interface BareBrokerOptions {
  /** Only this password (and, when `usernames` is given, one of those names) connects; others get CONNACK 4, bad user name or password (MQTT 3.1.1 §3.2.2.3). */
  login?: { password: string; usernames?: readonly string[] };
  /** Listen on this port (default: a free one chosen by the system). */
  port?: number;
  /** Anything else for Aedes itself (persistence, hooks). */
  aedes?: AedesOptions;
}

export interface BareBroker {
  broker: Aedes;
  /** The main listener (replaced by comeUp()). */
  server: Server;
  url: string;
  port: number;
  /** The broker becomes unreachable: the main listener closes and every connection is cut. Sessions stay in the broker. */
  goDown(): Promise<void>;
  /** The main listener opens again on the same port. */
  comeUp(): Promise<void>;
  /** The same broker also listens on `port` (a broker that starts answering at an address a client already tries); closed by stop(). */
  listenAlso(port: number): Promise<void>;
  stop(): Promise<void>;
}

function refuser(login: NonNullable<BareBrokerOptions['login']>): NonNullable<AedesOptions['authenticate']> {
  return (_client, username, password, done) => {
    const nameOk = !login.usernames || (username !== undefined && login.usernames.includes(username));
    if (nameOk && password?.toString() === login.password) return done(null, true);
    const err = new Error('bad user name or password') as AuthenticateError;
    err.returnCode = 4;
    done(err, false);
  };
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('bare broker: no listening address');
  return address.port;
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

export async function startBareBroker(options: BareBrokerOptions = {}): Promise<BareBroker> {
  const broker = await Aedes.createBroker({ ...options.aedes, ...(options.login ? { authenticate: refuser(options.login) } : {}) });
  // Every connection is tracked, so goDown() can cut them like a broker that died would.
  const sockets = new Set<Socket>();
  const serve = () => createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  const extra: Server[] = [];
  let main: Server | null = serve();
  const port = await listen(main, options.port ?? 0);
  const bare: BareBroker = {
    broker,
    server: main,
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async goDown() {
      const server = main;
      main = null;
      if (!server) return;
      for (const socket of sockets) socket.destroy();
      await close(server);
    },
    async comeUp() {
      if (main) return;
      main = serve();
      await listen(main, port);
      bare.server = main;
    },
    async listenAlso(extraPort: number) {
      const server = serve();
      await listen(server, extraPort);
      extra.push(server);
    },
    async stop() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await Promise.all([...(main ? [main] : []), ...extra].map(close));
    },
  };
  return bare;
}

import { createServer, type Server } from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';

// A plain Aedes on a free loopback port, for tests of a broker's clients (the
// edge agent, the rules service) rather than of our broker (broker/ has its
// own `startBroker` with logins and ACLs). No authentication unless given.

export interface BareBroker {
  broker: Aedes;
  server: Server;
  url: string;
  stop(): Promise<void>;
}

export async function startBareBroker(options?: AedesOptions): Promise<BareBroker> {
  const broker = await Aedes.createBroker(options);
  const server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `mqtt://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    broker, server, url,
    async stop() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

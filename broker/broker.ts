import { createServer, type Server } from 'node:net';
import { Aedes, type Client } from 'aedes';
import { createLogger, createServiceHttp, listenService, type Logger, type RunningService } from '../service-kit/index.ts';
import { authenticateHook } from './hooks/authenticate.ts';
import { authorizePublishHook } from './hooks/authorize-publish.ts';
import { authorizeSubscribeHook } from './hooks/authorize-subscribe.ts';
import { createBrokerMetrics } from './metrics.ts';
import { PacketSizeGuard } from './packet-size-guard.ts';
import { addressOf, BrokerSessions } from './sessions.ts';
import type { BrokerUsers } from './users.ts';

export interface BrokerOptions {
  users: BrokerUsers;
  host?: string;
  /** 0 = a free port. */
  port?: number;
  http?: { host?: string; port?: number };
  /** Largest MQTT packet accepted, bytes (default 256 KiB); a bigger one closes the connection. */
  maxPacketSize?: number;
  log?: Logger;
}

export interface RunningBroker extends RunningService {
  /** mqtt://127.0.0.1:PORT */
  mqttUrl: string;
}

export const DEFAULT_MAX_PACKET_SIZE = 256 * 1024;

/** Starts the MQTT broker (Aedes, MQTT 3.1.1) with per-user credentials and topic ACLs, deny by default. */
export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const log = options.log ?? createLogger('broker');
  const maxPacketSize = options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
  const metrics = createBrokerMetrics();
  const sessions = new BrokerSessions();
  const counts = metrics.counts;

  const deps = { users: options.users, sessions, metrics, log };
  const aedes = await Aedes.createBroker({
    authenticate: authenticateHook(deps),
    authorizePublish: authorizePublishHook(deps),
    authorizeSubscribe: authorizeSubscribeHook(deps),
    // Called once per delivery to a subscriber: the place to count messages out.
    authorizeForward: (_client, packet) => {
      counts.messagesOut += 1;
      metrics.messagesOut.inc();
      return packet;
    },
  });

  aedes.on('client', () => metrics.clientsConnected.inc());
  aedes.on('clientDisconnect', () => metrics.clientsConnected.dec());
  aedes.on('publish', (packet, client) => {
    if (!client) return; // $SYS heartbeats and wills published by the broker itself
    counts.messagesIn += 1;
    metrics.messagesIn.inc();
    const who = sessions.get(client);
    if (who?.role === 'gateway') metrics.gatewayLastSeen.set({ gateway: who.username }, Date.now() / 1000);
  });
  const onClientError = (client: Client, err: Error) => {
    counts.clientErrors += 1;
    metrics.clientErrors.inc({ reason: errorReason(err) });
    log.warn({ clientId: client.id, address: addressOf(client), err: err.message }, 'MQTT connection closed on error');
  };
  aedes.on('clientError', onClientError);
  aedes.on('connectionError', onClientError);

  const server: Server = createServer((socket) => {
    socket.on('error', () => undefined); // the guard and Aedes report it; never an unhandled 'error'
    const guarded = new PacketSizeGuard(socket, maxPacketSize, (size) => {
      counts.oversizedPackets += 1;
      metrics.oversizedPackets.inc();
      log.warn({ address: `${socket.remoteAddress}:${socket.remotePort}`, size, maxPacketSize }, 'packet above maxPacketSize, connection closed');
    });
    aedes.handle(guarded);
  });
  server.on('error', (err) => log.error({ err: err.message }, 'MQTT listener error'));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 1883, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('broker did not bind a TCP port');
  const mqttUrl = `mqtt://${host}:${address.port}`;

  const app = createServiceHttp({
    component: 'broker',
    registry: metrics.registry,
    log,
    health: () => ({ ok: !aedes.closed && server.listening, clients: aedes.connectedClients, mqttUrl }),
  });
  const httpUrl = await listenService(app, options.http?.host, options.http?.port);
  log.info({ mqttUrl, httpUrl, maxPacketSize }, 'broker listening');

  const stats = (): Record<string, number> => ({ clientsConnected: aedes.connectedClients, ...counts });

  let stopping: Promise<void> | undefined;
  return {
    mqttUrl,
    httpUrl,
    stats,
    stop() {
      stopping ??= (async () => {
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await app.close();
        log.info('broker stopped');
      })();
      return stopping;
    },
  };
}

function errorReason(err: Error): string {
  const text = err.message.toLowerCase();
  if (text.includes('refused')) return 'acl';
  if (text.includes('econnreset') || text.includes('epipe')) return 'socket';
  if (text.includes('keep')) return 'keepalive';
  return 'protocol';
}

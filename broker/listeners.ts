import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { TzError, type Logger } from '../service-kit/index.ts';
import type { ConnectionInfo } from './connection-guard.ts';

export interface TcpListenerOptions { host?: string; port?: number }
export interface TlsListenerOptions {
  host?: string;
  port?: number;
  /** PEM text or a file path. */
  cert: string;
  key: string;
  ca?: string;
  /** none: passwords only; optional: a verified certificate logs its CN in; require: refuse the handshake without one. */
  clientCertificates?: 'none' | 'optional' | 'require';
}
export interface WsListenerOptions { host?: string; port?: number; path?: string }

export interface ListenerOptions {
  tcp?: TcpListenerOptions;
  tls?: TlsListenerOptions;
  ws?: WsListenerOptions;
}

export interface ListenerUrls {
  mqtt?: string;
  mqtts?: string;
  ws?: string;
}

export type Accept = (stream: Duplex, info: ConnectionInfo, req?: IncomingMessage) => void;

export interface OpenListeners {
  urls: ListenerUrls;
  /** Stops accepting; open connections are closed by Aedes. */
  close(): Promise<void>;
  listening(): boolean;
}

/** Starts the configured listeners; each hands its streams to `accept`. */
export async function openListeners(options: ListenerOptions, maxPacketSize: number, accept: Accept, log: Logger): Promise<OpenListeners> {
  const servers: Array<NetServer | HttpServer> = [];
  const urls: ListenerUrls = {};
  const extra: Array<() => Promise<void>> = [];
  try {
    if (options.tcp) {
      // No Nagle: the connection guard already gathers one event-loop turn's packets into one write;
      // Nagle would hold that write's tail until the client's delayed ACK (up to 40 ms a turn).
      const server = createNetServer({ noDelay: true }, (socket) => {
        socket.on('error', () => undefined); // the guard and Aedes report it; never an unhandled 'error'
        accept(socket, { listener: 'tcp', remoteAddress: socket.remoteAddress, remotePort: socket.remotePort });
      });
      urls.mqtt = `mqtt://${await listen(server, options.tcp.host, options.tcp.port ?? 1883, 'tcp')}`;
      servers.push(server);
    }
    if (options.tls) {
      const tls = options.tls;
      const mode = tls.clientCertificates ?? 'none';
      if (mode !== 'none' && !tls.ca) throw new TzError('TZ_CONFIG_INVALID', `TLS listener: clientCertificates ${mode} needs a ca`);
      const server = createTlsServer({
        cert: pem(tls.cert),
        key: pem(tls.key),
        ...(tls.ca ? { ca: pem(tls.ca) } : {}),
        requestCert: mode !== 'none',
        // 'optional' lets an unverified certificate through the handshake; authenticate refuses it with a counted reason.
        rejectUnauthorized: mode === 'require',
        minVersion: 'TLSv1.2',
      });
      server.on('secureConnection', (socket: TLSSocket) => {
        socket.on('error', () => undefined);
        const info: ConnectionInfo = { listener: 'tls', remoteAddress: socket.remoteAddress, remotePort: socket.remotePort };
        const cert = mode === 'none' ? undefined : socket.getPeerCertificate();
        if (cert && Object.keys(cert).length > 0) {
          const cn = cert.subject?.CN;
          if (socket.authorized && typeof cn === 'string') info.certificateCN = cn;
          else info.certificateError = socket.authorizationError ? String(socket.authorizationError) : 'certificate has no CN';
        }
        accept(socket, info);
      });
      server.on('tlsClientError', (err) => log.warn({ err: err.message }, 'TLS handshake failed'));
      urls.mqtts = `mqtts://${await listen(server, tls.host, tls.port ?? 8883, 'tls')}`;
      servers.push(server);
    }
    if (options.ws) {
      const path = options.ws.path ?? '/mqtt';
      const http = createHttpServer((_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain' }).end(`MQTT over WebSocket: connect to ${path}\n`);
      });
      // maxPayload: one WebSocket frame can never be bigger than the largest MQTT packet we accept.
      const wss = new WebSocketServer({ server: http, path, maxPayload: maxPacketSize + 8, handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false) });
      wss.on('connection', (ws, req) => {
        const stream = createWebSocketStream(ws);
        stream.on('error', () => undefined);
        accept(stream, { listener: 'ws', remoteAddress: req.socket.remoteAddress, remotePort: req.socket.remotePort }, req);
      });
      wss.on('error', (err) => log.warn({ err: err.message }, 'WebSocket server error'));
      urls.ws = `ws://${await listen(http, options.ws.host, options.ws.port ?? 8083, 'ws')}${path}`;
      servers.push(http);
      extra.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    }
  } catch (err) {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    throw err;
  }
  if (servers.length === 0) throw new TzError('TZ_CONFIG_INVALID', 'the broker needs at least one listener (tcp, tls or ws)');
  return {
    urls,
    listening: () => servers.every((s) => s.listening),
    async close() {
      for (const close of extra) await close();
      await Promise.all(
        servers.map((s) => new Promise<void>((resolve) => {
          if ('closeAllConnections' in s) s.closeAllConnections();
          s.close(() => resolve());
        })),
      );
    },
  };
}

async function listen(server: NetServer | HttpServer, host: string | undefined, port: number, what: string): Promise<string> {
  const bindHost = host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(new TzError('TZ_CONFIG_INVALID', `${what} listener cannot listen on ${bindHost}:${port}: ${err.code ?? err.message}${err.code === 'EADDRINUSE' ? ' (port in use: pick another port)' : ''}`, { cause: err }));
    server.once('error', onError);
    server.listen(port, bindHost, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = bindHost.includes(':') ? `[${bindHost}]` : bindHost;
  return `${shown === '0.0.0.0' ? '127.0.0.1' : shown}:${address.port}`;
}

/** PEM text as given, or read from a path. */
function pem(value: string): string | Buffer {
  return value.includes('-----BEGIN') ? value : readFileSync(value);
}

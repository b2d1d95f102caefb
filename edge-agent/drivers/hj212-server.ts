import { createServer, type Server, type Socket } from 'node:net';
import { HJ212, decodeHj212, hj212DataAck, hj212Values, scanHj212, type DeviceProfile, type FieldRejectReason, type Values } from '../../device-profiles/index.ts';
import { TzError, toError, type Clock, type Logger } from '../../service-kit/index.ts';
import type { EdgeDeviceConfig } from '../config.ts';
import type { EdgeMetrics } from '../metrics.ts';
import type { FieldProtocolsConfig } from './field-config.ts';

/** An HJ 212 station as the server knows it. */
export interface PushingStation {
  config: EdgeDeviceConfig;
  profile: DeviceProfile;
  mn: string;
  password?: string;
}

export type Hj212RejectReason = FieldRejectReason | 'unknown-device' | 'password' | 'flood' | 'duplicate' | 'connections' | 'idle' | 'disconnected';

export interface Hj212ServerOptions {
  settings: FieldProtocolsConfig['hj212'];
  metrics: EdgeMetrics;
  log: Logger;
  clock: Clock;
  onPush: (station: PushingStation, at: number, values: Values) => void;
}

interface Bucket {
  tokens: number;
  at: number;
  /** DataTime of the last packet turned into a reading (a re-sent packet is a duplicate). */
  lastDataAt: number;
}

/**
 * The platform side of HJ 212-2017 on the gateway: stations connect over TCP
 * and push data packets (CN 2011 real-time; 2051/2061 when the profile asks).
 * Bounded everywhere: at most maxConnections sockets, at most maxDataBytes
 * per packet, an idle connection is closed, and each station (by MN) may
 * send framesPerMinute packets with a burst — over that its packets are
 * dropped and counted, and a connection that keeps sending garbage or
 * flooding is closed. Work per packet is a bounded parse on the event loop,
 * so one station's flood costs its own packets, not its neighbours'.
 * A packet whose Flag asks for an answer (bit A) gets the 9014 data answer
 * once it is accepted (a duplicate is answered too, so the station stops
 * re-sending); rejected packets get none.
 */
export class Hj212Server {
  private server: Server | null = null;
  private byMn: Map<string, PushingStation>;
  private next: PushingStation[] | null = null;
  private readonly buckets = new Map<string, Bucket>();
  private readonly sockets = new Set<Socket>();
  address: { host: string; port: number } | null = null;

  constructor(stations: PushingStation[], private readonly opts: Hj212ServerOptions) {
    this.byMn = new Map(stations.map((s) => [s.mn, s]));
  }

  get name(): string {
    return `hj212://${this.opts.settings.host}:${this.opts.settings.port}`;
  }

  private reject(reason: Hj212RejectReason): void {
    this.opts.metrics.fieldRejects.inc({ protocol: 'hj212', reason });
  }

  /** Settings this server listens with (a reload with the same ones keeps the server and its connections). */
  get settings(): FieldProtocolsConfig['hj212'] {
    return this.opts.settings;
  }

  /** Station table for the next start() (reload): applied without dropping a connection. */
  prepare(stations: PushingStation[]): void {
    this.next = stations;
  }

  async start(): Promise<void> {
    if (this.next) {
      this.byMn = new Map(this.next.map((st) => [st.mn, st]));
      this.next = null;
    }
    if (this.server) return; // kept across a reload: only the station table changed
    const s = this.opts.settings;
    const server = createServer((socket) => this.accept(socket));
    server.maxConnections = s.maxConnections;
    server.on('drop', () => this.reject('connections'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new TzError('TZ_CONFIG_INVALID', `cannot listen for HJ 212 stations on tcp ${s.host}:${s.port}: ${toError(err).message}`, { cause: err })));
      server.listen(s.port, s.host, () => resolve());
    });
    server.on('error', (err) => this.opts.log.error({ err: toError(err).message }, 'HJ 212 server error'));
    this.server = server;
    const a = server.address();
    this.address = a && typeof a === 'object' ? { host: a.address, port: a.port } : null;
    this.opts.log.info({ hj212: this.address, stations: this.byMn.size }, 'listening for HJ 212 stations');
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.opts.metrics.hj212Connections.set(0);
  }

  private accept(socket: Socket): void {
    const s = this.opts.settings;
    this.sockets.add(socket);
    this.opts.metrics.hj212Connections.set(this.sockets.size);
    let rx: Buffer = Buffer.alloc(0);
    let badInARow = 0;
    socket.setNoDelay(true);
    socket.setTimeout(s.idleTimeoutMs, () => {
      this.reject('idle');
      socket.destroy();
    });
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.opts.metrics.hj212Connections.set(this.sockets.size);
    });
    const bad = (reason: Hj212RejectReason): void => {
      this.reject(reason);
      // A re-sent packet is a station waiting for its answer, not abuse.
      if (reason !== 'duplicate' && ++badInARow >= s.maxBadInARow) {
        this.reject('disconnected');
        this.opts.log.warn({ remote: socket.remoteAddress, reason }, 'HJ 212 connection closed: too many rejected packets in a row');
        socket.destroy();
      }
    };
    socket.on('data', (chunk: Buffer) => {
      rx = rx.length === 0 ? chunk : Buffer.concat([rx, chunk]);
      while (!socket.destroyed) {
        const scan = scanHj212(rx, s.maxDataBytes);
        if (scan.kind === 'need-more') break;
        if (scan.kind === 'skip') {
          bad(scan.reason);
          rx = rx.subarray(scan.bytes);
          continue;
        }
        const packet = rx.subarray(scan.start, scan.end);
        rx = rx.subarray(scan.end);
        const reason = this.packet(socket, packet);
        if (reason) bad(reason);
        else badInARow = 0;
      }
      // Bounded: nothing waits here longer than one packet of the maximum size.
      if (rx.length > s.maxDataBytes + HJ212.headerBytes + HJ212.trailerBytes) {
        bad('too-long');
        rx = Buffer.alloc(0);
      }
    });
  }

  /** One whole packet; returns why it was rejected, or null. */
  private packet(socket: Socket, bytes: Buffer): Hj212RejectReason | null {
    const d = decodeHj212(bytes, this.opts.settings.maxDataBytes);
    if (!d.ok) return d.reason;
    const p = d.frame;
    const station = this.byMn.get(p.mn);
    if (!station) return 'unknown-device';
    if (station.password !== undefined && p.pw !== station.password) return 'password';
    const bucket = this.take(p.mn);
    if (!bucket) return 'flood';
    const spec = station.profile.hj212;
    // Stations are built only from profiles with an hj212 section.
    if (!spec) throw new TzError('TZ_INTERNAL', `HJ 212 station ${p.mn}: profile ${station.profile.class} has no hj212 section`);
    if (p.st !== spec.st) return 'control';
    const v = hj212Values(spec, p);
    if (!v.ok) return v.reason;
    const now = this.opts.clock.now();
    const at = v.result.at ?? now;
    const duplicate = v.result.at !== null && v.result.at <= bucket.lastDataAt;
    if (p.flag & HJ212.flagAck) socket.write(hj212DataAck(p));
    if (duplicate) return 'duplicate';
    if (v.result.at !== null) bucket.lastDataAt = v.result.at;
    this.opts.metrics.fieldFrames.inc({ protocol: 'hj212' });
    if (v.result.flagged > 0) this.opts.metrics.fieldRejects.inc({ protocol: 'hj212', reason: 'flagged-value' }, v.result.flagged);
    if (v.result.values.size > 0) this.opts.onPush(station, at, v.result.values);
    return null;
  }

  /** Token bucket per station: framesPerMinute, up to `burst` at once; the station's bucket when a token was taken. */
  private take(mn: string): Bucket | null {
    const { framesPerMinute, burst } = this.opts.settings;
    const now = this.opts.clock.now();
    const b = this.buckets.get(mn) ?? { tokens: burst, at: now, lastDataAt: 0 };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) * framesPerMinute) / 60_000);
    b.at = now;
    this.buckets.set(mn, b);
    if (b.tokens < 1) return null;
    b.tokens -= 1;
    return b;
  }
}

import { createServer, type Server, type Socket } from 'node:net';
import { SerialPort } from 'serialport';
import type { FrameScan } from '../../device-profiles/index.ts';
import { TzError, toError, type Logger } from '../../service-kit/index.ts';

/** What one simulated bus answers: a request frame in, a reply (or silence) out. */
export interface MeterBusHandler {
  scan(buf: Buffer): FrameScan;
  /** The reply to a request frame; null = nobody answers (no such address, dead meter). */
  answer(request: Buffer): { reply: Buffer; delayMs: number } | null;
}

export interface MeterBusCounters {
  requests: number;
  answered: number;
  silent: number;
  malformed: number;
}

const MAX_RX = 1024;

/**
 * A simulated RS-485 meter bus: served on a serial port (the sim end of a
 * socat pty pair) or as a transparent serial server on TCP (each connection
 * sees the whole bus). Requests are answered one at a time in order, as a
 * half-duplex line would: a slow meter holds the line up exactly as in the
 * street.
 */
export class SimulatedMeterBus {
  readonly counters: MeterBusCounters = { requests: 0, answered: 0, silent: 0, malformed: 0 };
  private server: Server | null = null;
  private port: SerialPort | null = null;
  private readonly sockets = new Set<Socket>();
  private closed = false;
  address: { host: string; port: number } | null = null;

  constructor(private readonly handler: MeterBusHandler, private readonly log: Logger) {}

  async listenTcp(host = '127.0.0.1', port = 0): Promise<{ host: string; port: number }> {
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      this.serve((b) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.write(b, () => resolve()))), (l) => socket.on('data', l));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const a = server.address() as { address: string; port: number };
    this.address = { host: a.address, port: a.port };
    return this.address;
  }

  async openSerial(path: string, baudRate = 2400): Promise<void> {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(new TzError('TZ_CONFIG_INVALID', `cannot open serial port ${path}: ${err.message}`, { cause: err })) : resolve())));
    port.on('error', (err) => this.log.warn({ err: toError(err).message, path }, 'simulated meter bus port error'));
    this.port = port;
    this.serve((b) => new Promise<void>((resolve) => port.write(b, () => port.drain(() => resolve()))), (l) => port.on('data', l));
  }

  private serve(write: (b: Buffer) => Promise<void>, onData: (l: (chunk: Buffer) => void) => void): void {
    let rx: Buffer = Buffer.alloc(0);
    let chain: Promise<void> = Promise.resolve();
    onData((chunk) => {
      rx = rx.length === 0 ? chunk : Buffer.concat([rx, chunk]);
      if (rx.length > MAX_RX) {
        this.counters.malformed++;
        rx = Buffer.alloc(0);
      }
      for (;;) {
        const s = this.handler.scan(rx);
        if (s.kind === 'need-more') break;
        if (s.kind === 'skip') {
          this.counters.malformed++;
          rx = rx.subarray(s.bytes);
          continue;
        }
        const request = Buffer.from(rx.subarray(s.start, s.end));
        rx = rx.subarray(s.end);
        this.counters.requests++;
        chain = chain.then(async () => {
          if (this.closed) return;
          const out = this.handler.answer(request);
          if (!out) {
            this.counters.silent++;
            return;
          }
          if (out.delayMs > 0) await new Promise((r) => setTimeout(r, out.delayMs));
          if (this.closed) return;
          this.counters.answered++;
          await write(out.reply);
        });
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    const port = this.port;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}

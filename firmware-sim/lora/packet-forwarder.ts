import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import type { SimulatedAbpDevice } from './abp-device.ts';

// A simulated Semtech UDP packet forwarder (protocol v2, PROTOCOL.TXT):
// PUSH_DATA with rxpk for uplinks (answered by PUSH_ACK), PULL_DATA keepalives
// (PULL_ACK) that open the downstream path, PULL_RESP downlinks answered with
// TX_ACK and handed to the addressed device.

const VERSION = 2;
const PUSH_DATA = 0x00, PUSH_ACK = 0x01, PULL_DATA = 0x02, PULL_RESP = 0x03, PULL_ACK = 0x04, TX_ACK = 0x05;

export interface RadioConditions {
  rssi?: number;
  lsnr?: number;
  freq?: number;
  datr?: string;
}

export interface ForwarderOptions {
  /** Where the network side (the edge agent) listens. */
  host: string;
  port: number;
  /** Gateway EUI, 8 bytes hex. */
  eui?: string;
  /** PULL_DATA keepalive period. */
  keepaliveMs?: number;
  /** The devices in radio range (they get their downlinks). */
  devices?: SimulatedAbpDevice[];
}

export interface ReceivedTxpk {
  txpk: Record<string, unknown>;
  /** Device that accepted it (MIC ok), if any. */
  deviceId: string | null;
}

export class SimulatedPacketForwarder {
  readonly eui: string;
  readonly txpks: ReceivedTxpk[] = [];
  private readonly pendingAcks = new Map<number, () => void>();
  private tmst = 1_000_000;
  private keepalive: NodeJS.Timeout | null = null;
  private pulled: Promise<void>;
  private onPulled: () => void = () => undefined;
  counts = { pushed: 0, pushAcks: 0, pullAcks: 0, txAcks: 0 };
  /** How far this gateway's clock is off (rxpk.time), ms: the clock-skew fault. */
  clockSkewMs = 0;

  private constructor(private readonly socket: Socket, private readonly opts: ForwarderOptions, private readonly devices: SimulatedAbpDevice[]) {
    this.eui = opts.eui ?? randomBytes(8).toString('hex');
    this.pulled = new Promise((resolve) => (this.onPulled = resolve));
  }

  /** Opens the UDP socket and starts PULL_DATA keepalives; resolves after the first PULL_ACK. */
  static async start(opts: ForwarderOptions): Promise<SimulatedPacketForwarder> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const f = new SimulatedPacketForwarder(socket, opts, opts.devices ?? []);
    socket.on('message', (msg) => f.onMessage(msg));
    f.pull();
    f.keepalive = setInterval(() => f.pull(), opts.keepaliveMs ?? 5000);
    f.keepalive.unref();
    await Promise.race([f.pulled, new Promise((_, reject) => setTimeout(() => reject(new Error(`no PULL_ACK from ${opts.host}:${opts.port}`)), 5000))]);
    return f;
  }

  /** Sends one PHYPayload as a received packet; resolves on PUSH_ACK. */
  async push(phy: Buffer, radio: RadioConditions = {}): Promise<void> {
    this.tmst = (this.tmst + 1_000_000) >>> 0;
    const rxpk = {
      time: new Date(Date.now() + this.clockSkewMs).toISOString(), tmst: this.tmst, chan: 0, rfch: 0, freq: radio.freq ?? 868.1, stat: 1, modu: 'LORA',
      datr: radio.datr ?? 'SF7BW125', codr: '4/5', rssi: radio.rssi ?? -80, lsnr: radio.lsnr ?? 7.5, size: phy.length, data: phy.toString('base64'),
    };
    const token = randomBytes(2).readUInt16BE(0);
    const acked = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingAcks.delete(token);
        reject(new Error('no PUSH_ACK'));
      }, 2000);
      this.pendingAcks.set(token, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.counts.pushed++;
    this.send(Buffer.concat([this.header(token, PUSH_DATA), Buffer.from(this.eui, 'hex'), Buffer.from(JSON.stringify({ rxpk: [rxpk] }))]));
    return acked;
  }

  async stop(): Promise<void> {
    if (this.keepalive) clearInterval(this.keepalive);
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private pull(): void {
    this.send(Buffer.concat([this.header(randomBytes(2).readUInt16BE(0), PULL_DATA), Buffer.from(this.eui, 'hex')]));
  }

  private onMessage(msg: Buffer): void {
    if (msg.length < 4 || msg[0] !== VERSION) return;
    const token = msg.readUInt16BE(1);
    const id = msg[3];
    if (id === PUSH_ACK) {
      this.counts.pushAcks++;
      this.pendingAcks.get(token)?.();
      this.pendingAcks.delete(token);
    } else if (id === PULL_ACK) {
      this.counts.pullAcks++;
      this.onPulled();
    } else if (id === PULL_RESP) {
      const { txpk } = JSON.parse(msg.subarray(4).toString('utf8')) as { txpk: Record<string, unknown> };
      const phy = Buffer.from(String(txpk.data), 'base64');
      const device = this.devices.find((d) => d.receive(phy) !== null) ?? null;
      this.txpks.push({ txpk, deviceId: device?.deviceId ?? null });
      this.counts.txAcks++;
      this.send(Buffer.concat([this.header(token, TX_ACK), Buffer.from(this.eui, 'hex'), Buffer.from(JSON.stringify({ txpk_ack: { error: 'NONE' } }))]));
    }
  }

  private header(token: number, id: number): Buffer {
    return Buffer.from([VERSION, token >> 8, token & 0xff, id]);
  }

  private send(buf: Buffer): void {
    this.socket.send(buf, this.opts.port, this.opts.host);
  }
}

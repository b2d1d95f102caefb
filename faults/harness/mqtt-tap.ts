import { createServer, connect, type Server, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { decodeUplinkBatch, parseGatewayTopic } from '../../proto/index.ts';

// The gateway's link to the broker, as a TCP proxy we control: it can be cut
// (connections reset, new ones refused) and restored, and it taps what the
// gateway publishes — every (device, seq) that left the gateway, decoded from
// the UplinkBatch on the wire — which is the "sent" side of a fault's ledger.

export interface TappedReading {
  deviceId: string;
  seq: number;
  timestampMs: number;
}

export class GatewayLink {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  /** Every reading seen in a PUBLISH on an up/batch topic, including resends. */
  readonly readings: TappedReading[] = [];
  publishes = 0;
  private port = 0;

  constructor(private readonly brokerHost: string, private readonly brokerPort: () => number) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async open(port = 0): Promise<void> {
    const server = createServer((client) => this.relay(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port || this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address && typeof address === 'object') this.port = address.port;
    this.server = server;
  }

  /** The link is down: live connections reset, new ones refused (the port is closed). */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  restore(): Promise<void> {
    return this.open(this.port);
  }

  close(): Promise<void> {
    return this.cut();
  }

  private relay(client: Socket): void {
    const upstream = connect(this.brokerPort(), this.brokerHost);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (packet) => {
      if (packet.cmd !== 'publish') return;
      this.publishes++;
      const parsed = parseGatewayTopic(packet.topic);
      if (parsed?.kind !== 'batch') return;
      try {
        const batch = decodeUplinkBatch(packet.payload as Buffer);
        for (const r of batch.readings) this.readings.push({ deviceId: r.deviceId ?? '', seq: Number(r.seq), timestampMs: Number(r.timestampMs) });
      } catch {
        // not ours to judge: the pipeline dead-letters it, the ledger counts what decodes
      }
    });
    parser.on('error', () => undefined);
    client.on('data', (chunk: Buffer) => {
      parser.parse(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  }
}

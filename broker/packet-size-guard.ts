import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/**
 * Sits between a TCP socket and Aedes and reads only MQTT fixed headers
 * (MQTT 3.1.1 §2.2: type byte + 1–4 byte remaining length) so a packet above
 * `maxPacketSize` closes the connection before its body is buffered —
 * Aedes 1.x has no packet size option of its own. Bytes pass through unchanged.
 */
export class PacketSizeGuard extends Duplex {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  private phase: 'type' | 'length' | 'body' | 'untracked' = 'type';
  private length = 0;
  private lengthBytes = 0;
  private multiplier = 1;
  private remaining = 0;

  constructor(private readonly socket: Socket, private readonly maxPacketSize: number, private readonly onOversize: (size: number) => void) {
    super({ allowHalfOpen: false });
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = socket.remotePort;
    socket.on('data', (chunk: Buffer) => {
      if (!this.inspect(chunk)) return;
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => {
      if (!this.destroyed) this.destroy();
    });
  }

  /** False when the chunk starts an oversized packet (the connection is then closed). */
  private inspect(chunk: Buffer): boolean {
    let i = 0;
    while (i < chunk.length) {
      switch (this.phase) {
        case 'untracked':
          return true;
        case 'type':
          i += 1;
          this.phase = 'length';
          this.length = 0;
          this.lengthBytes = 0;
          this.multiplier = 1;
          break;
        case 'length': {
          const byte = chunk[i]!;
          i += 1;
          this.length += (byte & 0x7f) * this.multiplier;
          this.multiplier *= 128;
          this.lengthBytes += 1;
          if (byte & 0x80) {
            // A fifth length byte is malformed; the MQTT parser behind us reports it.
            if (this.lengthBytes === 4) this.phase = 'untracked';
            break;
          }
          const size = 1 + this.lengthBytes + this.length;
          if (size > this.maxPacketSize) {
            this.phase = 'untracked';
            this.onOversize(size);
            this.socket.destroy();
            return false;
          }
          this.remaining = this.length;
          this.phase = this.remaining > 0 ? 'body' : 'type';
          break;
        }
        case 'body': {
          const take = Math.min(this.remaining, chunk.length - i);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.phase = 'type';
          break;
        }
      }
    }
    return true;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, encoding, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}

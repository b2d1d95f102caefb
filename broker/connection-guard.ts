import { Duplex } from 'node:stream';

export type ListenerKind = 'tcp' | 'tls' | 'ws';

/** What the broker knows of a connection before MQTT starts: hooks read it from `client.conn`. */
export interface ConnectionInfo {
  listener: ListenerKind;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  /** Common name of a client certificate the TLS handshake verified against the configured CA. */
  certificateCN?: string;
  /** A certificate was presented but did not verify (listener `clientCertificates: optional`). */
  certificateError?: string;
}

export interface GuardLimits {
  /** Largest MQTT packet accepted, bytes; a bigger one closes the connection before its body is buffered. */
  maxPacketSize: number;
  /** Bytes waiting to be written to this client above which it is a slow consumer and is disconnected. */
  maxOutgoingBytes: number;
  /** QoS 1/2 PUBLISH packets sent to this client and not yet acknowledged above which it is a slow consumer. */
  maxInflight: number;
}

export interface GuardEvents {
  onOversize(size: number): void;
  onSlowConsumer(reason: 'outgoing-bytes' | 'inflight', amount: number): void;
}

// MQTT 3.1.1 §2.2.1 control packet types (high nibble of the first byte).
const CONNACK = 0x20;
const PUBLISH = 0x30;
const SUBACK = 0x90;
const PUBACK = 0x40;
const PUBREC = 0x50;
const DISCONNECT = 0xe0;

/**
 * Follows MQTT fixed headers (§2.2: type byte + 1–4 byte remaining length)
 * across chunk boundaries and reports each packet's first byte and size as
 * soon as its header is complete, before the body arrives.
 */
class HeaderScanner {
  private phase: 'type' | 'length' | 'body' | 'untracked' = 'type';
  private first = 0;
  private length = 0;
  private lengthBytes = 0;
  private multiplier = 1;
  private remaining = 0;

  /** `onHeader` returns false to stop scanning (the connection is being closed). */
  constructor(private readonly onHeader: (firstByte: number, size: number) => boolean) {}

  /** Passes `n` bytes of a body already being scanned without looking at them (false: not inside a body that long). */
  skipBody(n: number): boolean {
    if (this.phase !== 'body' || n > this.remaining) return false;
    this.remaining -= n;
    if (this.remaining === 0) this.phase = 'type';
    return true;
  }

  scan(chunk: Buffer): boolean {
    let i = 0;
    while (i < chunk.length) {
      switch (this.phase) {
        case 'untracked':
          return true;
        case 'type':
          this.first = chunk[i]!;
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
          if (!this.onHeader(this.first, 1 + this.lengthBytes + this.length)) {
            this.phase = 'untracked';
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
}

/**
 * Sits between a transport stream (TCP, TLS or WebSocket) and Aedes and reads
 * only MQTT fixed headers. In: a packet above `maxPacketSize` closes the
 * connection before its body is buffered (Aedes 1.x has no packet size
 * option). Out: QoS 1/2 PUBLISH packets the client has not acknowledged and
 * bytes it has not taken are bounded, so a consumer that stops reading is cut
 * off instead of growing the broker's memory — its persistent session keeps
 * the unacknowledged messages. Bytes pass through unchanged.
 */
export class ConnectionGuard extends Duplex {
  /** The client sent DISCONNECT (a clean goodbye) before the stream ended. */
  sawDisconnect = false;
  /** QoS 1/2 PUBLISH packets written to the client minus PUBACK/PUBREC received. */
  inflight = 0;
  private readonly incoming: HeaderScanner;
  private readonly outgoing: HeaderScanner;
  /** The transport's readable side ended cleanly (FIN). */
  private innerEnded = false;
  /** The packet being written to the client is a QoS 0 PUBLISH. */
  private outgoingIsQos0Publish = false;
  /** The bytes being written hold a CONNACK or SUBACK: they leave at once, alone (see holdForBatch). */
  private flushAfterWrite = false;
  /** The transport is corked until the next check phase (holdForBatch). */
  private holding = false;

  constructor(
    private readonly inner: Duplex,
    readonly info: ConnectionInfo,
    private readonly limits: GuardLimits,
    private readonly events: GuardEvents,
  ) {
    super({ allowHalfOpen: false });
    this.incoming = new HeaderScanner((first, size) => {
      if (size > limits.maxPacketSize) {
        events.onOversize(size);
        inner.destroy();
        return false;
      }
      const type = first & 0xf0;
      if ((type === PUBACK || type === PUBREC) && this.inflight > 0) this.inflight -= 1;
      else if (type === DISCONNECT) this.sawDisconnect = true;
      return true;
    });
    this.outgoing = new HeaderScanner((first) => {
      const type = first & 0xf0;
      this.outgoingIsQos0Publish = type === PUBLISH && (first & 0x06) === 0;
      if (type === CONNACK || type === SUBACK) this.flushAfterWrite = true;
      if ((first & 0xf0) === PUBLISH && (first & 0x06) !== 0 && (first & 0x08) === 0) {
        // A DUP resend (0x08) is the same message again, not one more in flight.
        this.inflight += 1;
        if (this.inflight > limits.maxInflight) {
          this.cutOff('inflight', this.inflight);
          return false;
        }
      }
      return true;
    });
    inner.on('data', (chunk: Buffer) => {
      if (!this.incoming.scan(chunk)) return;
      if (!this.push(chunk)) inner.pause();
    });
    inner.on('end', () => {
      this.innerEnded = true;
      this.push(null);
    });
    inner.on('drain', () => this.emit('drain'));
    inner.on('error', (err) => this.destroy(err));
    inner.on('close', () => {
      // A client that sent its last packets and closed (DISCONNECT at the end): what Aedes has not read yet is still
      // read and handled; our readable side ends after it, and Aedes closes the client then.
      if (this.innerEnded && this.readableLength > 0) return;
      if (!this.destroyed) this.destroy();
    });
  }

  /** Aedes logs and throttles by these. */
  get remoteAddress(): string | undefined {
    return this.info.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.info.remotePort;
  }

  private cutOff(reason: 'outgoing-bytes' | 'inflight', amount: number): void {
    if (this.destroyed) return;
    this.events.onSlowConsumer(reason, amount);
    this.destroy(new Error(`slow consumer: ${reason} ${amount}`));
  }

  override _read(): void {
    this.inner.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.destroyed) return callback(new Error('slow consumer'));
    this.holdForBatch();
    this.inner.write(chunk, encoding);
    this.flushIfAnswer();
    // Taken at once: the bytes wait in the transport's buffer, which write() and the limits read.
    callback();
  }

  /** mqtt-packet corks the stream and writes a packet in parts: hand them to the transport as one buffer. */
  override _writev(chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>, callback: (error?: Error | null) => void): void {
    if (this.destroyed) return callback(new Error('slow consumer'));
    const buffers = chunks.map((c) => c.chunk);
    this.holdForBatch();
    this.inner.write(buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers));
    this.flushIfAnswer();
    callback();
  }

  /**
   * Aedes writes each delivery from its own setImmediate; written one by one,
   * that is one syscall per message (the broker's largest cost under load).
   * The transport is corked on the first write of an event-loop turn and
   * uncorked on the next turn's check phase, so everything delivered to this
   * client in one turn goes out in one writev.
   */
  private holdForBatch(): void {
    if (this.holding) return;
    this.holding = true;
    this.inner.cork();
    setImmediate(this.releaseBatch);
  }

  /**
   * A CONNACK or SUBACK goes out at once, ahead of what follows it (a
   * persistent session's queued messages, retained ones): a client that adds
   * its 'message' handler once connect()/subscribe() resolves then has it
   * before those arrive in a later read, as it had before writes were batched.
   */
  private flushIfAnswer(): void {
    if (!this.flushAfterWrite) return;
    this.flushAfterWrite = false;
    if (this.holding) this.inner.uncork();
    this.holding = false;
  }

  private readonly releaseBatch = (): void => {
    this.holding = false;
    this.inner.uncork();
  };

  /** Bytes written to this client that it has not taken yet (ours plus the transport's buffer). */
  get outgoingBytes(): number {
    return this.writableLength + this.inner.writableLength;
  }

  /** Aedes writes through here; bytes the client has not taken yet pile up in the transport's buffer, so that is where a slow consumer shows. */
  override write(chunk: unknown, encodingOrCb?: BufferEncoding | ((error: Error | null | undefined) => void), cb?: (error: Error | null | undefined) => void): boolean {
    // Scanned here, in write order, so the packet being written is known when answering (below).
    this.scanOutgoing(chunk, typeof encodingOrCb === 'string' ? encodingOrCb : 'utf8');
    const accepted = typeof encodingOrCb === 'function' ? super.write(chunk, encodingOrCb) : super.write(chunk, encodingOrCb as BufferEncoding, cb);
    const buffered = this.outgoingBytes;
    if (buffered > this.limits.maxOutgoingBytes) this.cutOff('outgoing-bytes', buffered);
    // A QoS 0 PUBLISH never makes Aedes wait for 'drain': a waiting delivery holds one of Aedes' few delivery
    // slots (concurrency), so one paused subscriber would stall every client of the broker; QoS 0 to a client
    // that does not keep up is bounded by dropping instead (slow-subscriber.ts).
    if (this.outgoingIsQos0Publish) return true;
    // Everything else: back-pressure from the transport; Aedes waits for our 'drain', forwarded from it.
    return accepted && !this.inner.writableNeedDrain;
  }

  private scanOutgoing(chunk: unknown, encoding: BufferEncoding): void {
    if (this.destroyed) return;
    // mqtt-packet writes topics as strings, always inside a packet's body: only their length matters.
    if (typeof chunk === 'string' && this.outgoing.skipBody(Buffer.byteLength(chunk, encoding))) return;
    const bytes = Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk, encoding) : Buffer.from(chunk as Uint8Array);
    this.outgoing.scan(bytes);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.inner.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // What this turn wrote (a refusing CONNACK right before Aedes closes the connection) goes out first, as it did unbatched.
    if (this.holding) this.releaseBatch();
    this.inner.destroy();
    callback(error);
  }
}

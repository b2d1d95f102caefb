import { Duplex } from 'node:stream';
import { remainingLengthAt } from './remaining-length.ts';

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
  /**
   * TCP: after this many ms of reads that each filled the read buffer (the
   * kernel holds more from this client than the broker takes), its QoS 0
   * PUBLISH packets are dropped on arrival until a read comes back short.
   * null = never.
   */
  qos0ShedAfterMs?: number | null;
  /** Milliseconds, for qos0ShedAfterMs (the broker's clock). */
  now?: () => number;
}

export interface GuardEvents {
  onOversize(size: number): void;
  onSlowConsumer(reason: 'outgoing-bytes' | 'inflight', amount: number): void;
  /** QoS 0 PUBLISH packets dropped on arrival from this client (qos0ShedAfterMs). */
  onBehindDrops?(count: number): void;
}

/** What one read of a TCP socket returns at most (libuv's read buffer): a read this long left more behind in the kernel. */
const FULL_READ = 64 * 1024;
const EMPTY = Buffer.alloc(0);

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

  /** The packet being scanned is being left out (filter()). */
  private discarding = false;
  private readonly kept: Buffer[] = [];
  private keepFrom = 0;
  /** Packets filter() left out (whole packets, counted at their first byte). */
  discarded = 0;
  /** filter() leaves out packets whose first byte this says yes to; null: scan() only. */
  discard: ((firstByte: number) => boolean) | null = null;

  /**
   * `onHeader` returns false to stop scanning (the connection is being closed);
   * `endsAt` is where the packet ends, counted from the start of the chunk being scanned.
   */
  constructor(private readonly onHeader: (firstByte: number, size: number, endsAt: number) => boolean) {}

  /** Scans `chunk` and returns its bytes without the packets `discard` chose (the chunk itself when none), or null to stop. */
  filter(chunk: Buffer): Buffer | null {
    this.kept.length = 0;
    this.keepFrom = 0;
    if (!this.scan(chunk)) return null;
    if (this.discarding) {
      if (this.kept.length === 0) return EMPTY;
    } else if (this.keepFrom === 0) {
      return chunk;
    } else {
      this.kept.push(chunk.subarray(this.keepFrom));
    }
    const [only] = this.kept;
    return this.kept.length === 1 && only ? only : Buffer.concat(this.kept);
  }

  scan(chunk: Buffer): boolean {
    let i = 0;
    while (i < chunk.length) {
      switch (this.phase) {
        case 'untracked':
          return true;
        case 'type': {
          this.first = chunk[i] ?? 0;
          if (this.discard !== null || this.discarding) {
            const drop = this.discard !== null && this.discard(this.first);
            if (drop) this.discarded += 1;
            if (drop && !this.discarding && i > this.keepFrom) this.kept.push(chunk.subarray(this.keepFrom, i));
            if (!drop && this.discarding) this.keepFrom = i;
            this.discarding = drop;
          }
          // The whole header in this chunk (nearly always): read it here and skip the body, without a turn of
          // the loop per byte. A cut or malformed one goes byte by byte below.
          const encoded = remainingLengthAt(chunk, i + 1);
          if (encoded >= 0) {
            const length = Math.floor(encoded / 8);
            const at = i + 1 + (encoded % 8);
            if (!this.onHeader(this.first, at - i + length, at + length)) {
              this.phase = 'untracked';
              return false;
            }
            if (at + length <= chunk.length) {
              i = at + length;
            } else {
              this.remaining = at + length - chunk.length;
              this.phase = 'body';
              i = chunk.length;
            }
            break;
          }
          i += 1;
          this.phase = 'length';
          this.length = 0;
          this.lengthBytes = 0;
          this.multiplier = 1;
          break;
        }
        case 'length': {
          const byte = chunk[i] ?? 0;
          i += 1;
          this.length += (byte & 0x7f) * this.multiplier;
          this.multiplier *= 128;
          this.lengthBytes += 1;
          if (byte & 0x80) {
            // A fifth length byte is malformed; the MQTT parser behind us reports it.
            if (this.lengthBytes === 4) this.phase = 'untracked';
            break;
          }
          if (!this.onHeader(this.first, 1 + this.lengthBytes + this.length, i + this.length)) {
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
  /** Bytes taken for the client so far; a CONNACK or SUBACK being written ends at `answerEndsAt` and leaves at once. */
  private taken = 0;
  private answerEndsAt = -1;
  /** This turn's bytes for the client (see OutgoingBatch). */
  private readonly batch = new OutgoingBatch();
  private flushScheduled = false;

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
    this.outgoing = new HeaderScanner((first, _size, endsAt) => {
      const type = first & 0xf0;
      this.outgoingIsQos0Publish = type === PUBLISH && (first & 0x06) === 0;
      if (type === CONNACK || type === SUBACK) this.answerEndsAt = this.scanBase + endsAt;
      if (type === PUBLISH && (first & 0x06) !== 0 && (first & 0x08) === 0) {
        // A DUP resend (0x08) is the same message again, not one more in flight.
        this.inflight += 1;
        if (this.inflight > limits.maxInflight) {
          this.cutOff('inflight', this.inflight);
          return false;
        }
      }
      return true;
    });
    const shedAfterMs = info.listener === 'tcp' ? limits.qos0ShedAfterMs ?? null : null;
    const now = limits.now ?? Date.now;
    let behindSince = -1;
    const shedding = (first: number) => (first & 0xf6) === PUBLISH; // a QoS 0 PUBLISH (DUP and RETAIN either way)
    inner.on('data', (chunk: Buffer) => {
      if (shedAfterMs === null) {
        if (!this.incoming.scan(chunk)) return;
        if (!this.push(chunk)) inner.pause();
        return;
      }
      // Behind this client: every read fills the buffer, the kernel holds more, and what waits there is latency.
      // Past shedAfterMs of that, the socket is read on and a chunk that arrives while Aedes has not taken the
      // previous one loses its QoS 0 PUBLISH packets (at most once, §4.3.1): Aedes stays fed at its own pace with
      // the freshest bytes, the backlog drains, and a short read ends it. Everything else keeps back-pressure.
      let shed = false;
      if (chunk.length >= FULL_READ) {
        const at = now();
        if (behindSince < 0) behindSince = at;
        shed = at - behindSince >= shedAfterMs;
      } else {
        behindSince = -1;
      }
      this.incoming.discard = shed && this.readableLength > 0 ? shedding : null;
      const before = this.incoming.discarded;
      const kept = this.incoming.filter(chunk);
      if (kept === null) return;
      if (this.incoming.discarded > before) events.onBehindDrops?.(this.incoming.discarded - before);
      if (kept.length === 0) return;
      if (!this.push(kept) && !shed) inner.pause();
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

  /** Where, in `taken` bytes, the chunk being scanned began. */
  private scanBase = 0;

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

  /** Never reached: write() below takes every byte (kept for Writable's contract). */
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.enqueueBytes(chunk);
    callback();
  }

  /**
   * mqtt-packet corks the stream around each packet it writes in parts and
   * uncorks on the next tick; write() below batches by itself, so corking
   * here would only send every part through Writable's buffer once more.
   */
  override cork(): void {}

  override uncork(): void {}

  /** Bytes written to this client that it has not taken yet (this turn's batch plus the transport's buffer). */
  get outgoingBytes(): number {
    return this.batch.bytes + this.inner.writableLength;
  }

  /**
   * Aedes (through mqtt-packet) writes here. The bytes join this turn's batch
   * for the client, which leaves in one transport write on the next check
   * phase: Aedes writes each delivery from its own setImmediate, and written
   * one by one that was one syscall per message (the broker's largest cost
   * under load), while Writable's own cork/buffer machinery cost as much again
   * per part of a packet. A CONNACK or SUBACK leaves at once, alone, ahead of
   * what follows it (a persistent session's queued messages, retained ones):
   * a client that adds its 'message' handler once connect()/subscribe()
   * resolves then has it before those arrive in a later read.
   */
  override write(chunk: unknown, encodingOrCb?: BufferEncoding | ((error: Error | null | undefined) => void), cb?: (error: Error | null | undefined) => void): boolean {
    const callback = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
    const encoding = typeof encodingOrCb === 'string' ? encodingOrCb : 'utf8';
    if (this.destroyed || this.writableEnded) {
      if (callback) process.nextTick(callback, new Error('slow consumer'));
      return false;
    }
    const bytes = Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk, encoding) : Buffer.from(chunk as Uint8Array);
    this.scanBase = this.taken;
    this.outgoing.scan(bytes);
    if (this.destroyed) {
      if (callback) process.nextTick(callback, new Error('slow consumer'));
      return false;
    }
    this.enqueueBytes(bytes);
    if (callback) process.nextTick(callback, null);
    return this.afterTake();
  }

  /**
   * Room for a whole packet of `size` bytes that the caller (wire.ts) writes
   * at once into `outgoingSlab` at the returned offset, then calls
   * `tookPacket()`; -1 when the connection is gone. Written between two
   * packets mqtt-packet wrote (it writes each one whole, synchronously), so
   * the header scan, which such packets skip, stays in step.
   */
  reservePacket(size: number): number {
    if (this.destroyed || this.writableEnded) return -1;
    const at = this.batch.reserve(size);
    this.taken += size;
    this.scheduleFlush();
    return at;
  }

  get outgoingSlab(): Buffer {
    return this.batch.slab;
  }

  /** What the header scan would have noted of the packet just reserved; returns what write() would. */
  tookPacket(kind: 'qos0-publish' | 'new-qos-publish' | 'other'): boolean {
    this.outgoingIsQos0Publish = kind === 'qos0-publish';
    if (kind === 'new-qos-publish') {
      this.inflight += 1;
      if (this.inflight > this.limits.maxInflight) {
        this.cutOff('inflight', this.inflight);
        return false;
      }
    }
    return this.afterTake();
  }

  private enqueueBytes(bytes: Buffer): void {
    this.batch.append(bytes);
    this.taken += bytes.length;
    this.scheduleFlush();
    if (this.answerEndsAt >= 0 && this.taken >= this.answerEndsAt) {
      this.answerEndsAt = -1;
      this.flush();
    }
  }

  private afterTake(): boolean {
    const buffered = this.outgoingBytes;
    if (buffered > this.limits.maxOutgoingBytes) {
      this.cutOff('outgoing-bytes', buffered);
      return false;
    }
    // A QoS 0 PUBLISH never makes Aedes wait for 'drain': a waiting delivery holds one of Aedes' few delivery
    // slots (concurrency), so one paused subscriber would stall every client of the broker; QoS 0 to a client
    // that does not keep up is bounded by dropping instead (slow-subscriber.ts).
    if (this.outgoingIsQos0Publish) return true;
    // Everything else: back-pressure from the transport; Aedes waits for our 'drain', forwarded from it.
    return !this.inner.writableNeedDrain;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushNow);
  }

  private readonly flushNow = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  /** Hands the batch to the transport: one write, or one writev when it holds several buffers. */
  private flush(): void {
    const parts = this.batch.drain();
    if (parts.length === 0 || this.inner.destroyed) return;
    const [first] = parts;
    if (parts.length === 1 && first) {
      this.inner.write(first);
      return;
    }
    this.inner.cork();
    for (const part of parts) this.inner.write(part);
    this.inner.uncork();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.flush();
    this.inner.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // What this turn wrote (a refusing CONNACK right before Aedes closes the connection) goes out first, as it did unbatched.
    this.flush();
    this.inner.destroy();
    callback(error);
  }
}

/** Buffers at least this long are handed to the transport as they are, not copied. */
const COPY_BELOW = 2048;
const SLAB = 64 * 1024;

/**
 * One turn's bytes for a client: small parts are copied into a slab (a
 * packet's header, topic and payload end up side by side), long ones are kept
 * by reference. A slab is never written twice: what was handed to the
 * transport stays untouched while later bytes go after it.
 */
class OutgoingBatch {
  /** Start of the bytes not yet handed out, and end of the bytes written, in `slab`. */
  private from = 0;
  private to = 0;
  private readonly parts: Buffer[] = [];
  bytes = 0;

  /** The slab the last reserve() made room in. */
  slab: Buffer = Buffer.allocUnsafe(0);

  /** Makes room for `size` bytes in `slab` and returns where they go. */
  reserve(size: number): number {
    if (this.slab.length - this.to < size) {
      this.closeSlab();
      this.slab = Buffer.allocUnsafe(Math.max(SLAB, size));
      this.from = 0;
      this.to = 0;
    }
    const offset = this.to;
    this.to += size;
    this.bytes += size;
    return offset;
  }

  append(bytes: Buffer): void {
    if (bytes.length >= COPY_BELOW) {
      this.closeSlab();
      this.parts.push(bytes);
      this.bytes += bytes.length;
      return;
    }
    const offset = this.reserve(bytes.length);
    bytes.copy(this.slab, offset);
  }

  drain(): Buffer[] {
    this.closeSlab();
    const out = this.parts.splice(0, this.parts.length);
    this.bytes = 0;
    return out;
  }

  private closeSlab(): void {
    if (this.to > this.from) {
      this.parts.push(this.slab.subarray(this.from, this.to));
      this.from = this.to;
    }
  }
}

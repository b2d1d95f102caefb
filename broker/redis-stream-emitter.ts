import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { Logger } from '../service-kit/index.ts';
import type { RedisPubSubMetrics, RedisStreamMetrics } from './metrics.ts';
import { topicKind } from './redis-pubsub.ts';
import { cacheTopicMatches } from './topic-match-cache.ts';

// Cross-node delivery over one Redis Stream, at least once (the pub/sub path,
// mqemitter-redis, is at most once: what is published while a node's
// subscriber is away never reaches it).
//
// - emit: XADD {key} MAXLEN ~ {maxLen} * o {origin} s {seq} m {msgpack packet}.
//   The append connection queues commands while Redis is away and resends
//   the ones in flight when it comes back (ioredis offline queue,
//   autoResendUnfulfilledCommands), so a resent XADD may land twice.
// - each node reads the whole stream with XREAD BLOCK from the id after the
//   last entry it handed to its local subscribers (kept in memory across
//   reconnects: a blocked XREAD is resent with that id, and the next one asks
//   from it), and matches topics locally (mqemitter).
// - de-duplication: per origin (a node's incarnation) every sequence number is
//   delivered once. ioredis resends the commands a dropped connection left
//   unanswered *after* ones queued meanwhile, so a resent XADD may land out of
//   order (measured: 36 of 71,520 under repeated CLIENT KILL) or twice (it had
//   been applied): a watermark of contiguous numbers plus the set seen above
//   it tells a duplicate (counted, skipped) from a late one (delivered). A
//   hole still open after GAP_AFTER_MS of stream time (or MAX_AHEAD entries)
//   is a gap — entries trimmed by MAXLEN before this node read them, or an
//   append that failed — counted and logged, never silent.
// - a node starts reading at the stream's end: what it missed while it was
//   down reaches persistent sessions through Aedes' offline queues in Redis.
const require = createRequire(import.meta.url);

interface StreamConnection extends EventEmitter {
  status: string;
  xadd(...args: Array<string | Buffer>): Promise<string | null>;
  xrevrange(key: string, end: string, start: string, count: 'COUNT', n: number): Promise<Array<[string, string[]]>>;
  xreadBuffer(...args: Array<string | number>): Promise<Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null>;
  quit(): Promise<unknown>;
  disconnect(): void;
}

interface LocalEmitter {
  on(topic: string, notify: (packet: unknown, done: () => void) => void, done?: () => void): unknown;
  removeListener(topic: string, notify: (packet: unknown, done: () => void) => void, done?: () => void): unknown;
  emit(message: { topic: string }, cb?: (err?: Error) => void): unknown;
  close(cb: () => void): unknown;
  current: number;
  concurrency: number;
}

export interface RedisStreamEmitterOptions {
  connection: object;
  /** Names the connections in CLIENT LIST (`tz-broker-append-{nodeId}`, `tz-broker-read-{nodeId}`). */
  nodeId: string;
  key?: string;
  /** Entries kept (approximately, MAXLEN ~): the longest outage of one node's Redis link the stream bridges. */
  maxLen?: number;
  /** Aedes' delivery concurrency for the local emitter. */
  concurrency: number;
  log: Logger;
  metrics?: RedisPubSubMetrics & RedisStreamMetrics;
}

export const DEFAULT_STREAM_KEY = 'tz:broker:mq';
export const DEFAULT_STREAM_MAX_LEN = 50_000;
const READ_COUNT = 500;
const BLOCK_MS = 2_000;
/** Local deliveries in progress before the reader stops asking Redis for more (back-pressure, bounded memory). */
const HIGH_WATER = 4_000;
const MAX_ORIGINS = 1_024;
/** A hole in one origin's numbers still open after this much stream time is declared a gap (resends land within seconds). */
const GAP_AFTER_MS = 30_000;
const MAX_AHEAD = 20_000;

/** Per origin: every number ≤ contiguous was seen; `ahead` holds those seen above it. */
interface OriginSeen {
  contiguous: number;
  ahead: Set<number>;
  /** Stream time (ms) when the current hole opened. */
  holeSinceMs: number;
}

/** An mqemitter-compatible emitter for Aedes over a Redis Stream; at least once between nodes. */
export class RedisStreamEmitter {
  private readonly local: LocalEmitter;
  private readonly append: StreamConnection;
  private readonly read: StreamConnection;
  private readonly key: string;
  private readonly maxLen: string;
  private readonly origin = randomBytes(8).toString('base64url');
  private seq = 0;
  private readonly seen = new Map<string, OriginSeen>();
  private lastId: string | undefined;
  private pending = 0;
  private wakeReader: (() => void) | undefined;
  private closing = false;
  private reading: Promise<void> | undefined;
  /** Resolves on close(): a read waiting on a Redis that is away must not hold the stop up (ioredis does not reject it on disconnect while reconnecting). */
  private closedSignal: Promise<null>;
  private signalClosed: () => void = () => undefined;
  private readerReady = false;
  private readerReadies = 0;
  private readonly started: Promise<void>;
  private readonly msgpack: { encode(v: unknown): Buffer; decode(b: Buffer): unknown };
  closed = false;

  constructor(private readonly options: RedisStreamEmitterOptions) {
    const fromLib = createRequire(require.resolve('mqemitter-redis'));
    const Redis = fromLib('ioredis') as new (opts: object) => StreamConnection;
    const MQEmitter = fromLib('mqemitter') as (opts: object) => LocalEmitter;
    this.msgpack = fromLib('msgpack-lite') as { encode(v: unknown): Buffer; decode(b: Buffer): unknown };
    this.local = MQEmitter({ concurrency: options.concurrency, matchEmptyLevels: true });
    cacheTopicMatches(this.local);
    this.closedSignal = new Promise<null>((resolve) => (this.signalClosed = () => resolve(null)));
    this.key = options.key ?? DEFAULT_STREAM_KEY;
    this.maxLen = String(options.maxLen ?? DEFAULT_STREAM_MAX_LEN);
    // Both wait for Redis instead of failing a command: an XADD queued while Redis restarts is sent when it is back.
    this.append = new Redis({ ...options.connection, connectionName: `tz-broker-append-${options.nodeId}`, maxRetriesPerRequest: null });
    this.read = new Redis({ ...options.connection, connectionName: `tz-broker-read-${options.nodeId}`, maxRetriesPerRequest: null });
    const m = options.metrics;
    const up = (connection: string, value: number) => m?.redisPubSubUp.set({ connection }, value);
    up('sub', 0);
    up('pub', 0);
    this.append.on('ready', () => up('pub', 1));
    this.append.on('close', () => up('pub', 0));
    this.append.on('error', () => m?.redisConnectionErrors.inc({ connection: 'pub' }));
    this.read.on('error', () => m?.redisConnectionErrors.inc({ connection: 'sub' }));
    this.read.on('close', () => {
      this.readerReady = false;
      up('sub', 0);
    });
    this.read.on('ready', () => {
      this.readerReady = true;
      up('sub', 1);
      this.readerReadies += 1;
      if (this.readerReadies > 1 && this.lastId !== undefined) {
        m?.redisStreamResumes.inc();
        m?.redisStreamResumedFrom.set(idMillis(this.lastId) / 1000);
        options.log.warn({ resumeFrom: this.lastId, reconnects: this.readerReadies - 1 }, 'Redis stream reader reconnected: resuming after the last entry delivered here (nothing published meanwhile is lost unless MAXLEN trimmed it; gaps are counted)');
      }
    });
    // The end of the stream, asked on the append connection so it is ordered before any XADD of ours.
    this.started = this.append.xrevrange(this.key, '+', '-', 'COUNT', 1).then((last) => {
      this.lastId = last[0]?.[0] ?? '0-0';
      this.reading = this.readLoop();
    });
  }

  on(topic: string, notify: (packet: unknown, done: () => void) => void, done?: () => void): this {
    this.local.on(topic, notify, done);
    return this;
  }

  removeListener(topic: string, notify: (packet: unknown, done: () => void) => void, done?: () => void): this {
    this.local.removeListener(topic, notify, done);
    return this;
  }

  /** Appends to the stream; `done` once Redis has it (Aedes has already sent PUBACK for QoS 1 by then, see README). */
  emit(message: { topic: string }, done?: (err?: Error) => void): void {
    if (this.closed) {
      done?.(new Error('Redis stream emitter is closed'));
      return;
    }
    this.seq += 1;
    const body = this.msgpack.encode(message);
    const m = this.options.metrics;
    this.append.xadd(this.key, 'MAXLEN', '~', this.maxLen, '*', 'o', this.origin, 's', String(this.seq), 'm', body).then(() => {
      const kind = topicKind(message.topic);
      m?.redisPublished.inc({ kind });
      m?.redisStreamAppended.inc({ kind });
      done?.();
    }, (err: Error) => {
      m?.redisPublishErrors.inc();
      this.options.log.error({ topic: message.topic, err: err.message }, 'XADD failed: the message reached no other node (receivers count it as a gap)');
      done?.(err);
    });
  }

  /** Resolves once the reader knows where to start and its connection is up. */
  async ready(): Promise<void> {
    await this.started;
    if (this.readerReady && this.append.status === 'ready') return;
    await Promise.all([
      this.readerReady ? undefined : new Promise<void>((resolve) => this.read.once('ready', () => resolve())),
      this.append.status === 'ready' ? undefined : new Promise<void>((resolve) => this.append.once('ready', () => resolve())),
    ]);
  }

  healthy(): boolean {
    return this.readerReady && this.append.status === 'ready';
  }

  close(cb?: () => void): void {
    if (this.closing) {
      cb?.();
      return;
    }
    this.closing = true;
    this.closed = true;
    this.signalClosed();
    this.wakeReader?.();
    void (async () => {
      // Appends already handed to us go out before the connection ends — but a stop must not hang on a Redis that is away:
      // after 2 s what is still queued is rejected (each logged as a failed XADD).
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.append.quit().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, 2_000)))]);
      clearTimeout(timer);
      this.append.disconnect();
      this.read.disconnect();
      await this.reading?.catch(() => undefined);
      this.local.close(() => cb?.());
    })();
  }

  private async readLoop(): Promise<void> {
    const m = this.options.metrics;
    while (!this.closing) {
      if (this.pending >= HIGH_WATER) {
        await new Promise<void>((resolve) => (this.wakeReader = resolve));
        this.wakeReader = undefined;
        continue;
      }
      let reply: Awaited<ReturnType<StreamConnection['xreadBuffer']>>;
      try {
        reply = await Promise.race([this.read.xreadBuffer('COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', this.key, this.lastId ?? '$'), this.closedSignal]);
      } catch (err) {
        if (this.closing) return;
        m?.redisConnectionErrors.inc({ connection: 'sub' });
        this.options.log.warn({ err: (err as Error).message }, 'XREAD failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      if (!reply) continue;
      for (const [, entries] of reply) for (const [id, fields] of entries) this.deliver(id.toString(), fields);
    }
  }

  private deliver(id: string, fields: Buffer[]): void {
    this.lastId = id;
    const m = this.options.metrics;
    let origin: string | undefined;
    let seq = NaN;
    let body: Buffer | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = fields[i]?.toString();
      const value = fields[i + 1];
      if (value === undefined) break; // the loop bound keeps i + 1 inside the array
      if (name === 'o') origin = value.toString();
      else if (name === 's') seq = Number(value.toString());
      else if (name === 'm') body = value;
    }
    let message: { topic?: unknown } | undefined;
    try {
      message = body ? (this.msgpack.decode(body) as { topic?: unknown }) : undefined;
    } catch {
      message = undefined;
    }
    if (origin === undefined || !Number.isSafeInteger(seq) || typeof message?.topic !== 'string') {
      // Something else wrote to our stream: count and skip it rather than crash.
      m?.redisReceived.inc({ kind: 'invalid' });
      this.options.log.warn({ id }, 'Redis stream entry is not a broker message; skipped');
      return;
    }
    const nowMs = idMillis(id);
    let o = this.seen.get(origin);
    if (!o) {
      o = { contiguous: seq - 1, ahead: new Set(), holeSinceMs: nowMs };
      const oldest = this.seen.keys().next();
      if (this.seen.size >= MAX_ORIGINS && !oldest.done) this.seen.delete(oldest.value);
      this.seen.set(origin, o);
    }
    if (seq <= o.contiguous || o.ahead.has(seq)) {
      m?.redisStreamDuplicates.inc();
      return;
    }
    if (seq === o.contiguous + 1) {
      o.contiguous = seq;
      while (o.ahead.delete(o.contiguous + 1)) o.contiguous += 1;
    } else {
      if (o.ahead.size === 0) o.holeSinceMs = nowMs;
      o.ahead.add(seq);
    }
    if (o.ahead.size > 0 && (nowMs - o.holeSinceMs > GAP_AFTER_MS || o.ahead.size > MAX_AHEAD)) this.declareGap(origin, o, id);
    const kind = topicKind(message.topic);
    m?.redisReceived.inc({ kind });
    m?.redisStreamDelivered.inc({ kind });
    m?.redisStreamLastDelivered.set(idMillis(id) / 1000);
    this.pending += 1;
    this.local.emit(message as { topic: string }, () => {
      this.pending -= 1;
      if (this.pending < HIGH_WATER / 2) this.wakeReader?.();
    });
  }

  /** Gives up on every hole of an origin's numbers below the highest seen: they never came (trimmed before this node read them, or the append failed). */
  private declareGap(origin: string, o: OriginSeen, atId: string): void {
    const highest = Math.max(...o.ahead);
    const missing = highest - o.contiguous - o.ahead.size;
    this.options.metrics?.redisStreamGaps.inc(missing);
    this.options.log.error({ origin, missing, afterSeq: o.contiguous, upToSeq: highest, atId, maxLen: this.maxLen },
      'Redis stream gap: messages from a node were trimmed (MAXLEN) before this node read them, or their append failed; they did not reach this node\'s subscribers');
    o.contiguous = highest;
    o.ahead.clear();
  }
}

/** The millisecond part of a stream id (`1700000000000-3`), for gauges. */
function idMillis(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

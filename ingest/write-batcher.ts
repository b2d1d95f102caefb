import { Backoff, delay, type Clock, type Logger } from '../service-kit/index.ts';
import type { InfluxLineWriter } from './influx-writer.ts';
import type { IngestMetrics } from './metrics.ts';

/** Whoever handed lines to the batcher (one MQTT message): told once every one of its lines is settled. */
export interface LineOwner {
  /** Lines handed over and not yet durable or refused. */
  unsettled: number;
  /** Positions (in the order handed over) of lines InfluxDB refused for good, with its message. */
  refused: Array<{ position: number; error: string }>;
  /** Called once, when `unsettled` reaches 0. */
  settled(): void;
}

/** One owner's consecutive lines inside a chunk: UTF-8 lines joined by '\n' (a view of the parser's slab, not a copy). */
interface Segment {
  body: Uint8Array;
  lines: number;
  owner: LineOwner;
  /** Position (in the owner's lines) of the first line of `body`. */
  first: number;
}

interface Chunk {
  segments: Segment[];
  lines: number;
}

export interface WriteBatcherOptions {
  /** Most lines per request (default 5000: InfluxDB's sweet spot). */
  maxBatchLines: number;
  /** Concurrent requests (default 3). */
  concurrency: number;
  /** How long a partly filled batch may wait for more lines (default 50 ms). */
  lingerMs: number;
}

/**
 * Batches lines across MQTT messages into requests of up to maxBatchLines,
 * keeps `concurrency` requests in flight, and tells each owner when all its
 * lines are durable. Retryable failures (InfluxDB down, 5xx, timeouts) are
 * retried with backoff for as long as it takes — the lines stay counted in
 * `buffered`, which the intake uses to stop taking messages. A request the
 * server refuses for good (400: field type conflict, bad line) is split in
 * halves until the refused lines stand alone; those are reported to their
 * owners, everything else is written (1.x writes the good points of a
 * partial write; rewriting them is idempotent).
 */
export class WriteBatcher {
  private open: Chunk = emptyChunk();
  private readonly sealed: Chunk[] = [];
  private inFlight = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  private bufferedLines = 0;
  private outageSince: number | null = null;
  private lastOutageLog = 0;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly writer: () => Promise<InfluxLineWriter>,
    private readonly options: WriteBatcherOptions,
    private readonly deps: { log: Logger; metrics: IngestMetrics; clock: Clock; signal: AbortSignal; onReachable(value: boolean): void },
  ) {}

  /** Lines waiting, being written or being retried. */
  get buffered(): number {
    return this.bufferedLines;
  }

  /** True while writes are failing and being retried. */
  get inOutage(): boolean {
    return this.outageSince !== null;
  }

  /** `body`: `lines` lines of UTF-8 line protocol joined by '\n' (one flat buffer per message keeps the garbage collector's work small). Not copied: it must not change until settled. */
  add(body: Uint8Array, lines: number, owner: LineOwner): void {
    if (lines === 0) return;
    owner.unsettled += lines;
    this.bufferedLines += lines;
    let rest: Segment = { body, lines, owner, first: 0 };
    for (;;) {
      const room = this.options.maxBatchLines - this.open.lines;
      if (rest.lines <= room) {
        this.open.segments.push(rest);
        this.open.lines += rest.lines;
        if (this.open.lines >= this.options.maxBatchLines) this.seal();
        break;
      }
      const [head, tail] = splitSegment(rest, room);
      this.open.segments.push(head);
      this.open.lines += head.lines;
      this.seal();
      rest = tail;
    }
    if (this.open.lines > 0 && this.lingerTimer === undefined) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        this.seal();
        this.pump();
      }, this.options.lingerMs);
    }
    this.pump();
  }

  /** Resolves when `buffered` has fallen to `level` or below (sends a partly filled batch at once). */
  async drainTo(level: number): Promise<void> {
    if (this.bufferedLines <= level) return;
    this.seal();
    this.pump();
    while (this.bufferedLines > level && !this.deps.signal.aborted) {
      await new Promise<void>((resolve) => {
        this.waiters.add(resolve);
        this.deps.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }

  /** Called whenever lines settle; the intake resumes taking messages from here. */
  onSettled: () => void = () => undefined;

  private seal(): void {
    if (this.open.lines === 0) return;
    this.sealed.push(this.open);
    this.open = emptyChunk();
    if (this.lingerTimer !== undefined) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
    }
  }

  private pump(): void {
    while (this.inFlight < this.options.concurrency && !this.deps.signal.aborted) {
      const chunk = this.sealed.shift();
      if (chunk === undefined) break;
      this.inFlight += 1;
      this.deps.metrics.writesInFlight.set(this.inFlight);
      this.writeChunk(chunk)
        .catch((err: unknown) => {
          if (!this.deps.signal.aborted) this.deps.log.error({ err: (err as Error).message }, 'write loop failed; its messages stay unacknowledged');
        })
        .finally(() => {
          this.inFlight -= 1;
          this.deps.metrics.writesInFlight.set(this.inFlight);
          this.pump();
        });
    }
  }

  /** Writes a chunk until every line is durable or refused for good; returns early only when stopping. */
  private async writeChunk(chunk: Chunk): Promise<void> {
    const writer = await this.writer();
    const backoff = new Backoff(250, 5_000);
    const { metrics } = this.deps;
    for (;;) {
      if (this.deps.signal.aborted) return;
      const stopTimer = metrics.writeSeconds.startTimer();
      const outcome = await writer.send(bodyOf(chunk));
      if (outcome.ok) {
        stopTimer();
        metrics.batchLines.observe(chunk.lines);
        this.recovered();
        this.settle(chunk, null);
        return;
      }
      metrics.counts.writeErrors += 1;
      metrics.writeErrors.inc({ reason: outcome.retryable ? 'retryable' : 'rejected' });
      if (!outcome.retryable) {
        this.recovered();
        if (chunk.lines === 1) {
          this.settle(chunk, outcome.error.message);
          return;
        }
        // Find the refused lines: halves are written one after the other in this slot.
        const [first, second] = splitChunk(chunk, Math.ceil(chunk.lines / 2));
        await this.writeChunk(first);
        await this.writeChunk(second);
        return;
      }
      this.failing(outcome.error, chunk.lines);
      // The server's Retry-After when it sent one (429/503 under load), else our own backoff.
      await delay(outcome.retryAfterMs ?? backoff.next(), this.deps.signal);
    }
  }

  private settle(chunk: Chunk, refusedBecause: string | null): void {
    this.bufferedLines -= chunk.lines;
    this.deps.metrics.bufferedReadings.set(this.bufferedLines);
    for (const segment of chunk.segments) {
      const owner = segment.owner;
      if (refusedBecause !== null) for (let i = 0; i < segment.lines; i++) owner.refused.push({ position: segment.first + i, error: refusedBecause });
      owner.unsettled -= segment.lines;
      if (owner.unsettled === 0) owner.settled();
    }
    for (const wake of this.waiters) wake();
    this.waiters.clear();
    this.onSettled();
  }

  private failing(error: Error, lines: number): void {
    const now = this.deps.clock.now();
    if (this.outageSince === null) {
      this.outageSince = now;
      this.deps.onReachable(false);
    }
    // One line per 10 s, not one per retried request.
    if (now - this.lastOutageLog >= 10_000) {
      this.lastOutageLog = now;
      this.deps.log.warn({ err: error.message, failingRequestLines: lines, bufferedReadings: this.bufferedLines, outageSeconds: Math.round((now - this.outageSince) / 1000) }, 'InfluxDB write failing; retrying with backoff, intake held at the buffer limit, nothing acknowledged until written');
    }
  }

  private recovered(): void {
    if (this.outageSince !== null) {
      const seconds = (this.deps.clock.now() - this.outageSince) / 1000;
      this.outageSince = null;
      this.lastOutageLog = 0;
      this.deps.log.info({ outageSeconds: Math.round(seconds * 10) / 10, bufferedReadings: this.bufferedLines }, 'InfluxDB writes succeed again; catching up');
    }
    this.deps.onReachable(true);
  }

  /** Stops the linger timer; unsettled lines stay unacknowledged (the broker redelivers them). */
  close(): void {
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }
}

function emptyChunk(): Chunk {
  return { segments: [], lines: 0 };
}

const NEWLINE = 10;
const BETWEEN_SEGMENTS: Uint8Array = Uint8Array.of(NEWLINE);

/** The request body: the segments with '\n' between them, as pieces the writer sends one after the other (no joined copy). */
function bodyOf(chunk: Chunk): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (const segment of chunk.segments) {
    if (parts.length > 0) parts.push(BETWEEN_SEGMENTS);
    parts.push(segment.body);
  }
  return parts;
}

/** The first `count` lines of a segment, and the rest (views, no copy). */
function splitSegment(segment: Segment, count: number): [Segment, Segment] {
  let at = -1;
  for (let i = 0; i < count; i++) at = segment.body.indexOf(NEWLINE, at + 1);
  return [
    { body: segment.body.subarray(0, at), lines: count, owner: segment.owner, first: segment.first },
    { body: segment.body.subarray(at + 1), lines: segment.lines - count, owner: segment.owner, first: segment.first + count },
  ];
}

/** The first `count` lines of a chunk, and the rest. */
function splitChunk(chunk: Chunk, count: number): [Chunk, Chunk] {
  const head = emptyChunk();
  const tail = emptyChunk();
  for (const segment of chunk.segments) {
    const room = count - head.lines;
    if (room <= 0) tail.segments.push(segment);
    else if (segment.lines <= room) {
      head.segments.push(segment);
      head.lines += segment.lines;
      continue;
    } else {
      const [a, b] = splitSegment(segment, room);
      head.segments.push(a);
      head.lines += a.lines;
      tail.segments.push(b);
    }
  }
  tail.lines = chunk.lines - head.lines;
  return [head, tail];
}

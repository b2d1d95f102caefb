import type { DeviceProfile, FieldRejectReason, FrameScan, Values } from '../../device-profiles/index.ts';
import { Backoff, delay, systemClock, toError, type Clock, type Logger } from '../../service-kit/index.ts';
import type { EdgeDeviceConfig } from '../config.ts';
import type { EdgeMetrics, PollFailureReason } from '../metrics.ts';
import { nextSlot, type PollOutcome } from '../modbus-bus.ts';
import { endpointName, openByteLink, type ByteLink, type LinkEndpoint } from './byte-link.ts';

/** A polled meter (CJ/T 188, DL/T 645) as its line tracks it; the same schedule fields as a Modbus PolledDevice. */
export interface MeteredDevice {
  config: EdgeDeviceConfig;
  profile: DeviceProfile;
  /** Printed meter address. */
  address: string;
  intervalMs: number;
  nextDueAt: number;
  /** Failed polls in a row. */
  failures: number;
  backoff: Backoff;
}

/** What a received frame means for the request on the wire. */
export type MeterAnswer =
  | { kind: 'values'; values: Values }
  /** The meter answered, but not usefully (abnormal reply, bad BCD): the poll fails. */
  | { kind: 'failed'; reason: FieldRejectReason; detail: string }
  /** Not the reply to this request (another address or DI — e.g. a slow meter's late reply): counted, and we keep listening. */
  | { kind: 'foreign'; reason: FieldRejectReason; detail: string };

export interface MeterRequest {
  bytes: Buffer;
  answer(frame: Buffer): MeterAnswer;
}

/** One field protocol as a polling master speaks it. */
export interface MeterProtocol {
  protocol: 'cjt188' | 'dlt645';
  scan(buf: Buffer): FrameScan;
  /** The requests of one poll (one per data identifier); their values are merged into one reading. */
  requests(device: MeteredDevice, ser: number): MeterRequest[];
}

export interface MeterLineOptions {
  endpoint: LinkEndpoint;
  protocol: MeterProtocol;
  requestTimeoutMs: number;
  interFrameDelayMs: number;
  retries: number;
  offlineAfterFailures: number;
  metrics: EdgeMetrics;
  log: Logger;
  onPoll: (device: MeteredDevice, outcome: PollOutcome) => void;
  /** The agent's clock: due times, reading times and the reconnect wait. Request timeouts and the
   * inter-frame gap are waits on the wire, measured in real time (performance.now()). */
  clock?: Clock;
  /** Cap of the reconnect backoff of a dead line (the config's maxDeviceBackoffMs). */
  maxLinkBackoffMs?: number;
}

/** Bytes kept while waiting for a reply; more without a frame is noise. */
const MAX_RX = 1024;

const FAILURE_BY_REASON: Partial<Record<FieldRejectReason, PollFailureReason>> = { bcd: 'decode', unit: 'decode', length: 'decode' };

/**
 * The master of one meter bus (RS-485 line or transparent serial server):
 * one request at a time (half duplex), the device due soonest first. Each
 * poll sends one read per data identifier and merges the values into ONE
 * reading, handed to the agent exactly as a Modbus poll is. A meter that
 * stops answering costs its own timeout and no more: after
 * offlineAfterFailures it is polled only after a growing backoff and without
 * retries, so the other meters on the line keep their cadence; a late reply
 * it sends while another meter is asked is recognised by its address and
 * ignored (counted), never taken for the other meter's answer.
 */
export class MeterLine {
  private link: ByteLink | null = null;
  private reconnectAt = 0;
  private readonly linkBackoff: Backoff;
  private readonly clock: Clock;
  private readonly abort = new AbortController();
  private loop: Promise<void> = Promise.resolve();
  private rx: Buffer = Buffer.alloc(0);
  private dataArrived: (() => void) | null = null;
  private lastFrameAt = 0;
  private ser = 0;

  constructor(readonly devices: MeteredDevice[], private readonly opts: MeterLineOptions) {
    this.clock = opts.clock ?? systemClock;
    this.linkBackoff = new Backoff(500, Math.max(500, opts.maxLinkBackoffMs ?? 30_000));
  }

  get name(): string {
    return `${this.opts.protocol.protocol}+${endpointName(this.opts.endpoint)}`;
  }

  start(): Promise<void> {
    this.loop = this.run();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.dataArrived?.();
    await this.loop;
    await this.link?.close();
    this.link = null;
  }

  private reject(reason: FieldRejectReason | 'timeout' | 'link', n = 1): void {
    this.opts.metrics.fieldRejects.inc({ protocol: this.opts.protocol.protocol, reason }, n);
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const device = this.devices.reduce((a, b) => (b.nextDueAt < a.nextDueAt ? b : a));
      const wait = device.nextDueAt - this.clock.now();
      if (wait > 0) {
        await delay(wait, signal);
        continue;
      }
      const outcome = await this.poll(device);
      if (signal.aborted) break;
      this.schedule(device, outcome);
      this.opts.onPoll(device, outcome);
    }
  }

  private schedule(device: MeteredDevice, outcome: PollOutcome): void {
    const now = this.clock.now();
    if (outcome.ok) {
      device.failures = 0;
      device.backoff.reset();
      device.nextDueAt = nextSlot(device.nextDueAt, device.intervalMs, now);
      return;
    }
    device.failures++;
    device.nextDueAt = now + (device.failures < this.opts.offlineAfterFailures ? device.intervalMs : Math.max(device.intervalMs, device.backoff.next()));
  }

  private async poll(device: MeteredDevice): Promise<PollOutcome> {
    const at = this.clock.now();
    const link = await this.connected();
    if (!link) return { ok: false, at, reason: 'link', detail: `no connection to ${this.name}` };
    const values: Values = new Map();
    const attempts = device.failures === 0 ? 1 + this.opts.retries : 1;
    this.ser = (this.ser + 1) & 0xff;
    for (const request of this.opts.protocol.requests(device, this.ser)) {
      let answer: MeterAnswer | 'timeout' | 'link' = 'timeout';
      for (let attempt = 1; attempt <= attempts && !this.abort.signal.aborted; attempt++) {
        answer = await this.exchange(link, request);
        if (answer !== 'timeout') break;
        this.reject('timeout');
      }
      if (answer === 'link') {
        this.reject('link');
        return { ok: false, at, reason: 'link', detail: `${this.name} closed` };
      }
      if (answer === 'timeout') return { ok: false, at, reason: 'timeout', detail: `meter ${device.address} did not answer within ${this.opts.requestTimeoutMs} ms on ${this.name}` };
      if (answer.kind === 'failed') {
        this.reject(answer.reason);
        return { ok: false, at, reason: FAILURE_BY_REASON[answer.reason] ?? 'exception', detail: `meter ${device.address}: ${answer.detail}` };
      }
      if (answer.kind === 'values') for (const [k, v] of answer.values) values.set(k, v);
    }
    this.opts.metrics.fieldFrames.inc({ protocol: this.opts.protocol.protocol });
    return { ok: true, at, values };
  }

  /** One request and its reply: frames that are not the reply are counted and skipped until the timeout. */
  private async exchange(link: ByteLink, request: MeterRequest): Promise<MeterAnswer | 'timeout' | 'link'> {
    const since = performance.now() - this.lastFrameAt;
    if (since < this.opts.interFrameDelayMs) await delay(this.opts.interFrameDelayMs - since);
    this.rx = Buffer.alloc(0);
    try {
      await link.write(request.bytes);
    } catch (err) {
      this.opts.log.warn({ line: this.name, err: toError(err).message }, 'write to the meter line failed');
      this.dropLink();
      return 'link';
    }
    const deadline = performance.now() + this.opts.requestTimeoutMs;
    try {
      for (;;) {
        if (this.abort.signal.aborted) return 'timeout';
        const scan = this.opts.protocol.scan(this.rx);
        if (scan.kind === 'frame') {
          const frame = this.rx.subarray(scan.start, scan.end);
          this.rx = this.rx.subarray(scan.end);
          const answer = request.answer(Buffer.from(frame));
          if (answer.kind !== 'foreign') return answer;
          this.reject(answer.reason);
          continue;
        }
        if (scan.kind === 'skip') {
          this.reject(scan.reason);
          this.rx = this.rx.subarray(scan.bytes);
          continue;
        }
        if (this.rx.length > MAX_RX) {
          this.reject('too-long');
          this.rx = Buffer.alloc(0);
        }
        if (!link.open) {
          this.dropLink();
          return 'link';
        }
        const left = deadline - performance.now();
        if (left <= 0) return 'timeout';
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          this.dataArrived = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.dataArrived = null;
      }
    } finally {
      this.lastFrameAt = performance.now();
    }
  }

  private async connected(): Promise<ByteLink | null> {
    if (this.link?.open) return this.link;
    this.dropLink();
    if (this.clock.now() < this.reconnectAt) return null;
    try {
      const link = await openByteLink(this.opts.endpoint, this.opts.requestTimeoutMs);
      link.onData((chunk) => {
        this.rx = this.rx.length === 0 ? chunk : Buffer.concat([this.rx, chunk]);
        this.dataArrived?.();
      });
      if (this.linkBackoff.attempts > 0) this.opts.log.info({ line: this.name }, 'meter line reachable again');
      this.linkBackoff.reset();
      this.link = link;
      return link;
    } catch (err) {
      const waitMs = this.linkBackoff.next();
      this.reconnectAt = this.clock.now() + waitMs;
      this.opts.metrics.busConnectFailures.inc();
      this.opts.log.warn({ line: this.name, err: toError(err).message, retryInMs: waitMs }, 'cannot open the meter line; retrying with backoff');
      return null;
    }
  }

  private dropLink(): void {
    const link = this.link;
    this.link = null;
    if (link) void link.close();
  }
}

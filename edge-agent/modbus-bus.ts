import modbusSerial from 'modbus-serial';
import { decodeBlock, type DeviceProfile, type ReadBlock } from '../device-profiles/index.ts';
import { Backoff, TzError, delay, systemClock, toError, type Clock, type Logger } from '../service-kit/index.ts';
import type { EdgeDeviceConfig, SerialLineConfig } from './config.ts';
import type { EdgeMetrics, PollFailureReason } from './metrics.ts';

// modbus-serial is CommonJS: under NodeNext its default import is the module object, whose `default` is the client class.
const ModbusRTU = modbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;

/** A device as the poller tracks it. */
export interface PolledDevice {
  config: EdgeDeviceConfig;
  profile: DeviceProfile;
  unitId: number;
  blocks: ReadBlock[];
  intervalMs: number;
  nextDueAt: number;
  /** Failed polls in a row. */
  failures: number;
  /** Spaces out polls of a device that stopped answering (the bus keeps its pace for the others). */
  backoff: Backoff;
}

export type PollOutcome =
  | { ok: true; at: number; values: Map<string, number | boolean> }
  | { ok: false; at: number; reason: PollFailureReason; detail: string };

export type BusEndpoint = { kind: 'tcp'; host: string; port: number } | { kind: 'rtu'; line: SerialLineConfig };

/** One write of a command: a coil or holding register(s), raw words already encoded by the profile. */
export interface RegisterWrite {
  table: 'coil' | 'holding';
  address: number;
  /** Coil: [0|1]; holding: one or two 16-bit words. */
  words: number[];
}

export interface ModbusBusOptions {
  endpoint: BusEndpoint;
  requestTimeoutMs: number;
  retries: number;
  offlineAfterFailures: number;
  metrics: EdgeMetrics;
  log: Logger;
  onPoll: (device: PolledDevice, outcome: PollOutcome) => void;
  /** The agent's clock: schedules and due times are read from it, never from Date.now(). */
  clock?: Clock;
  /** Cap of the reconnect backoff of a dead bus connection (the config's maxDeviceBackoffMs). */
  maxLinkBackoffMs?: number;
}

/**
 * The slot after `dueAt` on the device's own cadence that is still ahead of
 * `now`. A device whose poll ran late (a neighbour's timeout held the bus)
 * moves to its next slot instead of being polled again at once: a due time
 * clamped to `now` made it poll twice about one request apart.
 */
export function nextSlot(dueAt: number, intervalMs: number, now: number): number {
  const next = dueAt + intervalMs;
  if (next > now) return next;
  return dueAt + intervalMs * (Math.floor((now - dueAt) / intervalMs) + 1);
}

interface PendingWrite {
  device: PolledDevice;
  writes: RegisterWrite[];
  resolve: () => void;
  reject: (err: Error) => void;
}

/** 3.5 character times at the line's baud rate (11 bits per character), at least 2 ms. */
function interFrameMs(line: SerialLineConfig): number {
  return line.interFrameDelayMs ?? Math.max(2, Math.ceil((3.5 * 11 * 1000) / line.baudRate));
}

/**
 * One Modbus master on one bus: a TCP connection to a gateway in front of an
 * RS-485 line, or an RS-485 line on a local serial port (RTU, serialport via
 * modbus-serial). Requests go strictly one at a time (the line is half
 * duplex) from a single loop: pending command writes first, then the device
 * due soonest. Neighbouring registers are read in one request (planReads).
 * A device that stops answering costs its own timeout and no more: once it
 * is offline it is polled only after a backoff growing to maxDeviceBackoffMs,
 * without retries, so live neighbours keep their cadence. A dead connection
 * is re-opened with backoff.
 */
export class ModbusBus {
  private client: ModbusRTU | null = null;
  private reconnectAt = 0;
  private readonly linkBackoff: Backoff;
  private readonly clock: Clock;
  /** Whether every device on this serial line is timing out (a wrong baud rate or parity looks like that). */
  private lineSilent = false;
  private readonly abort = new AbortController();
  /** Ends the bus loop's current sleep early (a write arrived, or stop). One timer per sleep, no signal objects per poll. */
  private wakeUp: (() => void) | null = null;
  private loop: Promise<void> = Promise.resolve();
  private readonly writes: PendingWrite[] = [];
  private readonly gapMs: number;
  private lastFrameAt = 0;

  constructor(
    readonly devices: PolledDevice[],
    private readonly opts: ModbusBusOptions,
  ) {
    this.gapMs = opts.endpoint.kind === 'rtu' ? interFrameMs(opts.endpoint.line) : 0;
    this.clock = opts.clock ?? systemClock;
    this.linkBackoff = new Backoff(500, Math.max(500, opts.maxLinkBackoffMs ?? 30_000));
  }

  get name(): string {
    const e = this.opts.endpoint;
    return e.kind === 'tcp' ? `tcp://${e.host}:${e.port}` : `rtu://${e.line.path}`;
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wakeUp?.();
    await this.loop;
    for (const w of this.writes.splice(0)) w.reject(new TzError('TZ_MODBUS_TIMEOUT', 'agent stopping before the write was sent'));
    this.disconnect();
  }

  /** Queues a command's register writes; they go out before the next poll. */
  write(device: PolledDevice, writes: RegisterWrite[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.writes.push({ device, writes, resolve, reject });
      this.wakeUp?.();
    });
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const pending = this.writes.shift();
      if (pending) {
        await this.executeWrite(pending);
        continue;
      }
      const device = this.dueSoonest();
      const wait = device.nextDueAt - this.clock.now();
      if (wait > 0) {
        await this.sleep(wait);
        continue; // a write may have arrived, or another device is due now
      }
      const outcome = await this.poll(device);
      if (signal.aborted) break;
      this.schedule(device, outcome);
      this.opts.onPoll(device, outcome);
    }
  }

  private dueSoonest(): PolledDevice {
    const [first] = this.devices;
    // buildInputs makes a bus only for a line or endpoint that has devices.
    if (first === undefined) throw new TzError('TZ_INTERNAL', `Modbus bus ${this.name} has no devices to poll`);
    let soonest = first;
    for (const d of this.devices) if (d.nextDueAt < soonest.nextDueAt) soonest = d;
    return soonest;
  }

  /** Sleeps until `ms` passed or wakeUp() is called, whichever is first. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        if (this.wakeUp === wake) this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      if (this.abort.signal.aborted) wake();
      else this.wakeUp = wake;
    });
  }

  private schedule(device: PolledDevice, outcome: PollOutcome): void {
    const now = this.clock.now();
    if (outcome.ok) {
      device.failures = 0;
      device.backoff.reset();
      device.nextDueAt = nextSlot(device.nextDueAt, device.intervalMs, now);
    } else {
      device.failures++;
      // Until it is declared offline a failing device keeps its interval (quick detection); then it backs off.
      device.nextDueAt = now + (device.failures < this.opts.offlineAfterFailures ? device.intervalMs : Math.max(device.intervalMs, device.backoff.next()));
    }
    this.noticeSilentLine(outcome);
  }

  /** On a serial line where every device times out, the line settings are the likely fault: say so once. */
  private noticeSilentLine(outcome: PollOutcome): void {
    if (this.opts.endpoint.kind !== 'rtu') return;
    const silent = !outcome.ok && outcome.reason === 'timeout' && this.devices.every((d) => d.failures >= this.opts.offlineAfterFailures);
    if (silent && !this.lineSilent) {
      const line = this.opts.endpoint.line;
      this.opts.log.warn({ bus: this.name, baudRate: line.baudRate, parity: line.parity, devices: this.devices.length },
        'every device on this serial line times out: check the line\'s baud rate, parity and wiring (A/B swapped?)');
    } else if (!silent && this.lineSilent && outcome.ok) {
      this.opts.log.info({ bus: this.name }, 'a device on this serial line answers again');
    }
    if (silent || outcome.ok) this.lineSilent = silent;
  }

  private async poll(device: PolledDevice): Promise<PollOutcome> {
    const at = this.clock.now();
    const client = await this.connected();
    if (!client) return { ok: false, at, reason: 'link', detail: `no connection to ${this.name}` };
    const values = new Map<string, number | boolean>();
    // Retries only while the device is healthy: a dead slave must not multiply its cost to the bus.
    const attempts = device.failures === 0 ? 1 + this.opts.retries : 1;
    for (const block of device.blocks) {
      let data: (number | boolean)[] | undefined;
      for (let attempt = 1; data === undefined; attempt++) {
        try {
          data = await this.transact(client, device.unitId, () => read(client, device.unitId, block));
        } catch (err) {
          const failure = classify(err);
          if (failure.reason === 'link') this.disconnect();
          if (failure.reason === 'timeout' && attempt < attempts && !this.abort.signal.aborted) {
            this.opts.metrics.requestRetries.inc();
            continue;
          }
          return { ok: false, at, ...failure, detail: `unit ${device.unitId} ${block.table} ${block.start}+${block.count}: ${failure.detail}` };
        }
      }
      try {
        for (const [metric, value] of decodeBlock(block, data)) values.set(metric, value);
      } catch (err) {
        return { ok: false, at, reason: 'decode', detail: toError(err).message };
      }
    }
    return { ok: true, at, values };
  }

  private async executeWrite(w: PendingWrite): Promise<void> {
    const client = await this.connected();
    if (!client) return w.reject(new TzError('TZ_MODBUS_TIMEOUT', `no connection to ${this.name}`, { retryable: true }));
    try {
      for (const op of w.writes) {
        await this.transact(client, w.device.unitId, async (): Promise<void> => {
          const [only, ...more] = op.words;
          if (op.table === 'coil') await client.writeCoil(op.address, only === 1);
          else if (only !== undefined && more.length === 0) await client.writeRegister(op.address, only);
          else await client.writeRegisters(op.address, op.words);
        });
      }
      w.resolve();
    } catch (err) {
      const failure = classify(err);
      if (failure.reason === 'link') this.disconnect();
      w.reject(new TzError(failure.reason === 'exception' ? 'TZ_MODBUS_EXCEPTION' : 'TZ_MODBUS_TIMEOUT', `write to unit ${w.device.unitId} on ${this.name}: ${failure.detail}`, { cause: err }));
    }
  }

  /** One request/response, keeping the serial line's silent interval between frames. */
  private async transact<T>(client: ModbusRTU, unitId: number, request: () => Promise<T>): Promise<T> {
    if (this.gapMs > 0) {
      const since = this.clock.now() - this.lastFrameAt;
      if (since < this.gapMs) await delay(this.gapMs - since);
    }
    client.setID(unitId);
    try {
      return await request();
    } finally {
      this.lastFrameAt = this.clock.now();
    }
  }

  /** The open client, connecting first if needed; null while the bus is down and backing off. */
  private async connected(): Promise<ModbusRTU | null> {
    if (this.client?.isOpen) return this.client;
    this.disconnect();
    if (this.clock.now() < this.reconnectAt) return null;
    const client = new ModbusRTU();
    // Set before connecting: modbus-serial also uses it as the TCP connect timeout.
    client.setTimeout(this.opts.requestTimeoutMs);
    const e = this.opts.endpoint;
    try {
      if (e.kind === 'tcp') await client.connectTCP(e.host, { port: e.port });
      else await client.connectRTUBuffered(e.line.path, { baudRate: e.line.baudRate, parity: e.line.parity, dataBits: e.line.dataBits, stopBits: e.line.stopBits });
    } catch (err) {
      const waitMs = this.linkBackoff.next();
      this.reconnectAt = this.clock.now() + waitMs;
      this.opts.metrics.busConnectFailures.inc();
      this.opts.log.warn({ bus: this.name, err: toError(err).message, retryInMs: waitMs }, 'cannot open the Modbus bus; retrying with backoff');
      client.close(() => undefined);
      return null;
    }
    if (this.linkBackoff.attempts > 0) this.opts.log.info({ bus: this.name }, 'Modbus bus reachable again');
    this.linkBackoff.reset();
    this.client = client;
    return client;
  }

  private disconnect(): void {
    const client = this.client;
    this.client = null;
    if (client) client.close(() => undefined);
  }
}

type Callback<T> = (err: unknown, result?: T) => void;

/** A callback that lets go of `cb` (and what its scope holds) once it has been called. */
function once<T>(cb: Callback<T>): Callback<T> {
  let f: Callback<T> | null = cb;
  return (err, result) => {
    const g = f;
    f = null;
    g?.(err, result);
  };
}

/**
 * One read through modbus-serial's callback API. The client keeps its last
 * 256 transactions with the callback each was given (index.js `_transactions`,
 * tcpport.js MAX_TRANSACTIONS): through the promise API that callback held
 * the settled promise and its response for seconds, long enough to be
 * promoted to the old generation and die there; the agent's RSS grew by
 * megabytes a second between full collections. Here the callback drops the
 * promise and the data as soon as it has run.
 */
function read(client: ModbusRTU, unitId: number, b: ReadBlock): Promise<(number | boolean)[]> {
  return new Promise((resolve, reject) => {
    const done = once<{ data: (number | boolean)[] }>((err, result) => (err !== null && err !== undefined ? reject(err) : resolve(result?.data ?? [])));
    switch (b.table) {
      case 'coil': return client.writeFC1(unitId, b.start, b.count, done);
      case 'discrete': return client.writeFC2(unitId, b.start, b.count, done);
      case 'holding': return client.writeFC3(unitId, b.start, b.count, done);
      case 'input': return client.writeFC4(unitId, b.start, b.count, done);
    }
  });
}

/** modbus-serial rejects with plain objects: a timeout, a Modbus exception, or a dead port. */
function classify(err: unknown): { reason: PollFailureReason; detail: string } {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; modbusCode?: unknown; errno?: unknown };
  const detail = toError(err).message;
  if (e.name === 'TransactionTimedOutError' || e.errno === 'ETIMEDOUT') return { reason: 'timeout', detail };
  if (typeof e.modbusCode === 'number') return { reason: 'exception', detail };
  if (/CRC|data length|unexpected/i.test(detail)) return { reason: 'exception', detail };
  return { reason: 'link', detail };
}

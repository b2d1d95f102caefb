import modbusSerial from 'modbus-serial';
import { decodeBlock, type DeviceProfile, type ReadBlock } from '../device-profiles/index.ts';
import { Backoff, delay, toError, type Logger } from '../service-kit/index.ts';
import type { EdgeDeviceConfig } from './config.ts';
import type { EdgeMetrics, PollFailureReason } from './metrics.ts';

// modbus-serial is CommonJS: under NodeNext its default import is the module object, whose `default` is the client class.
const ModbusRTU = modbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;

/** A device as the poller tracks it. */
export interface PolledDevice {
  config: EdgeDeviceConfig;
  profile: DeviceProfile;
  blocks: ReadBlock[];
  intervalMs: number;
  nextDueAt: number;
}

export type PollOutcome =
  | { ok: true; at: number; values: Map<string, number | boolean> }
  | { ok: false; at: number; reason: PollFailureReason; detail: string };

export interface ModbusBusOptions {
  host: string;
  port: number;
  requestTimeoutMs: number;
  metrics: EdgeMetrics;
  log: Logger;
  onPoll: (device: PolledDevice, outcome: PollOutcome) => void;
}

/**
 * One Modbus TCP connection to a gateway in front of an RS-485 bus. Requests
 * go strictly one at a time (the serial line behind it is half duplex), so
 * the bus is polled by a single loop: the device due soonest goes next. A
 * device that times out costs its own timeout once per poll (its remaining
 * blocks are skipped); a dead connection is re-opened with backoff.
 */
export class ModbusBus {
  private client: ModbusRTU | null = null;
  private reconnectAt = 0;
  private readonly backoff = new Backoff(500, 30_000);
  private readonly abort = new AbortController();
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly devices: PolledDevice[],
    private readonly opts: ModbusBusOptions,
  ) {}

  get name(): string {
    return `${this.opts.host}:${this.opts.port}`;
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    this.disconnect();
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const device = this.devices.reduce((a, b) => (b.nextDueAt < a.nextDueAt ? b : a));
      const wait = device.nextDueAt - Date.now();
      if (wait > 0) await delay(wait, signal);
      if (signal.aborted) break;
      const outcome = await this.poll(device);
      // Keep the cadence; a device that fell behind is polled again one interval from now.
      device.nextDueAt = Math.max(device.nextDueAt + device.intervalMs, Date.now());
      if (!signal.aborted) this.opts.onPoll(device, outcome);
    }
  }

  private async poll(device: PolledDevice): Promise<PollOutcome> {
    const at = Date.now();
    const client = await this.connected();
    if (!client) return { ok: false, at, reason: 'link', detail: `no connection to ${this.name}` };
    client.setID(device.config.modbus.unitId);
    const values = new Map<string, number | boolean>();
    for (const block of device.blocks) {
      let data: (number | boolean)[];
      try {
        data = await read(client, block);
      } catch (err) {
        const failure = classify(err);
        if (failure.reason === 'link') this.disconnect();
        return { ok: false, at, ...failure, detail: `${block.table} ${block.start}+${block.count}: ${failure.detail}` };
      }
      try {
        for (const [metric, value] of decodeBlock(block, data)) values.set(metric, value);
      } catch (err) {
        return { ok: false, at, reason: 'decode', detail: toError(err).message };
      }
    }
    return { ok: true, at, values };
  }

  /** The open client, connecting first if needed; null while the bus is down and backing off. */
  private async connected(): Promise<ModbusRTU | null> {
    if (this.client?.isOpen) return this.client;
    this.disconnect();
    if (Date.now() < this.reconnectAt) return null;
    const client = new ModbusRTU();
    // Set before connecting: modbus-serial also uses it as the TCP connect timeout.
    client.setTimeout(this.opts.requestTimeoutMs);
    try {
      await client.connectTCP(this.opts.host, { port: this.opts.port });
    } catch (err) {
      const waitMs = this.backoff.next();
      this.reconnectAt = Date.now() + waitMs;
      this.opts.metrics.busConnectFailures.inc();
      this.opts.log.warn({ bus: this.name, err: toError(err).message, retryInMs: waitMs }, 'cannot connect to Modbus TCP gateway; retrying with backoff');
      client.close(() => undefined);
      return null;
    }
    if (this.backoff.attempts > 0) this.opts.log.info({ bus: this.name }, 'Modbus TCP gateway reachable again');
    this.backoff.reset();
    this.client = client;
    return client;
  }

  private disconnect(): void {
    const client = this.client;
    this.client = null;
    if (client) client.close(() => undefined);
  }
}

function read(client: ModbusRTU, b: ReadBlock): Promise<(number | boolean)[]> {
  switch (b.table) {
    case 'coil': return client.readCoils(b.start, b.count).then((r) => r.data);
    case 'discrete': return client.readDiscreteInputs(b.start, b.count).then((r) => r.data);
    case 'holding': return client.readHoldingRegisters(b.start, b.count).then((r) => r.data);
    case 'input': return client.readInputRegisters(b.start, b.count).then((r) => r.data);
  }
}

/** modbus-serial rejects with plain objects: a timeout, a Modbus exception, or a dead port. */
function classify(err: unknown): { reason: PollFailureReason; detail: string } {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; modbusCode?: unknown; errno?: unknown };
  const detail = toError(err).message;
  if (e.name === 'TransactionTimedOutError' || e.errno === 'ETIMEDOUT') return { reason: 'timeout', detail };
  if (typeof e.modbusCode === 'number') return { reason: 'exception', detail };
  return { reason: 'link', detail };
}

import { CJT188, decodeCjt188, encodeCjt188, scanCjt188, writeBcd } from '../../device-profiles/index.ts';
import { createLogger, type Logger } from '../../service-kit/index.ts';
import { SeededRandom, hashString } from '../prng.ts';
import { SimulatedMeterBus, type MeterBusHandler } from './meter-bus.ts';

// A bus of CJ/T 188-2004 cold-water meters (T = 10h) answering read data
// 901F: cumulative volume (XXXXXX.XX m3, unit 2Ch), settlement-day volume,
// real time, status ST (bit 0 = valve closed, bit 2 = battery low).
// Consumption is a household's mean daily demand, seeded per meter; the
// volume is a pure function of time, so tests can compare what the agent
// reports with what the meter held.

export interface WaterMeterBusOptions {
  meters?: number;
  seed?: number;
  /** Address of meter i: maker code + serial, 14 digits. */
  firstAddress?: number;
  /** Simulated time source (epoch ms); wall clock by default. */
  now?: () => number;
  log?: Logger;
}

export interface SimulatedWaterMeter {
  address: string;
  /** m3 at epoch 0 of the simulation. */
  baseM3: number;
  /** Mean household demand, m3 per day. */
  dailyM3: number;
  valveOpen: boolean;
  /** Fault: the meter does not answer. */
  dead: boolean;
  /** Fault: the meter answers this late (ms). */
  slowMs: number;
  /** Fault: the reply's checksum is wrong. */
  badChecksum: boolean;
}


export class WaterMeterBus {
  readonly meters: SimulatedWaterMeter[];
  readonly bus: SimulatedMeterBus;
  private readonly startMs: number;
  private readonly now: () => number;

  constructor(opts: WaterMeterBusOptions = {}) {
    const rng = new SeededRandom(hashString(`cjt188:${opts.seed ?? 1}`));
    const n = opts.meters ?? 64;
    const first = opts.firstAddress ?? 78330000000001;
    this.now = opts.now ?? Date.now;
    this.startMs = this.now();
    this.meters = Array.from({ length: n }, (_, i) => ({
      address: String(first + i).padStart(14, '0'),
      baseM3: Math.round(rng.between(10, 900) * 100) / 100,
      dailyM3: rng.between(0.2, 0.8),
      valveOpen: true,
      dead: false,
      slowMs: 0,
      badChecksum: false,
    }));
    const handler: MeterBusHandler = { scan: scanCjt188, answer: (req) => this.answer(req) };
    this.bus = new SimulatedMeterBus(handler, opts.log ?? createLogger('sim-cjt188'));
  }

  meter(address: string): SimulatedWaterMeter | undefined {
    return this.meters.find((m) => m.address === address);
  }

  /** Cumulative volume now, m3, as the register holds it (2 decimals). */
  volumeM3(m: SimulatedWaterMeter, at = this.now()): number {
    // The household's mean demand: a meter register only ever counts up.
    const used = ((at - this.startMs) / 86_400_000) * m.dailyM3;
    return Math.floor((m.baseM3 + Math.max(0, used)) * 100) / 100;
  }

  private answer(request: Buffer): { reply: Buffer; delayMs: number } | null {
    const d = decodeCjt188(request);
    if (!d.ok || d.frame.control !== CJT188.readData) return null;
    const m = this.meter(d.frame.address);
    if (!m || m.dead || d.frame.meterType !== 0x10) return null;
    if (d.frame.di !== 0x901f) {
      return { reply: encodeCjt188({ meterType: 0x10, address: m.address, control: CJT188.readAbnormal, di: 0, ser: d.frame.ser, data: Buffer.alloc(0), status: Buffer.from([0x00, 0x00]) }), delayMs: m.slowMs };
    }
    const at = this.now();
    const volume = this.volumeM3(m, at);
    const t = new Date(at + 8 * 3600_000);
    const bcd = (v: number) => ((Math.floor(v / 10) % 10) << 4) | (v % 10);
    const time = Buffer.from([t.getUTCSeconds(), t.getUTCMinutes(), t.getUTCHours(), t.getUTCDate(), t.getUTCMonth() + 1, t.getUTCFullYear() % 100, Math.floor(t.getUTCFullYear() / 100)].map(bcd));
    const data = Buffer.concat([writeBcd(volume, 4, 2), Buffer.from([0x2c]), writeBcd(Math.floor(volume), 4, 2), Buffer.from([0x2c]), time, Buffer.from([m.valveOpen ? 0x00 : 0x01, 0x00])]);
    const reply = encodeCjt188({ meterType: 0x10, address: m.address, control: CJT188.readReply, di: 0x901f, ser: d.frame.ser, data }, 4);
    if (m.badChecksum) reply.writeUInt8(reply.readUInt8(reply.length - 2) ^ 0x5a, reply.length - 2);
    return { reply, delayMs: m.slowMs };
  }
}

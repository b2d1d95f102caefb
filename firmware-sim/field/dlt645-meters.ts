import { DLT645, decodeDlt645, encodeDlt645, scanDlt645, writeBcd } from '../../device-profiles/index.ts';
import { createLogger, type Logger } from '../../service-kit/index.ts';
import { SeededRandom, hashString } from '../prng.ts';
import { SimulatedMeterBus, type MeterBusHandler } from './meter-bus.ts';

// DL/T 645-2007 single-phase meters of pole cabinets and EV chargers,
// answering read data (11h) for energy, voltage, current, power and
// frequency (Appendix A formats); an unknown DI gets the abnormal reply D1h
// with ERR 02h (no requested data). Load follows a charger session pattern.

export interface SimulatedElectricityMeter {
  address: string;
  baseKwh: number;
  /** Charger load when active, kW. */
  loadKw: number;
  dead: boolean;
  slowMs: number;
}

/** DI → [format length, decimals, signed, value]. */
type Register = [number, number, boolean, (m: SimulatedElectricityMeter, at: number) => number];

export class ElectricityMeterBus {
  readonly meters: SimulatedElectricityMeter[];
  readonly bus: SimulatedMeterBus;
  private readonly startMs: number;
  private readonly now: () => number;
  /** DI → how the meter fills it: the whole register map. */
  private readonly registers: ReadonlyMap<number, Register>;

  constructor(opts: { meters?: number; seed?: number; firstAddress?: number; now?: () => number; log?: Logger } = {}) {
    const rng = new SeededRandom(hashString(`dlt645:${opts.seed ?? 1}`));
    this.now = opts.now ?? Date.now;
    this.startMs = this.now();
    const first = opts.firstAddress ?? 410100000001;
    this.meters = Array.from({ length: opts.meters ?? 4 }, (_, i) => ({ address: String(first + i).padStart(12, '0'), baseKwh: Math.round(rng.between(100, 9000) * 100) / 100, loadKw: rng.between(3, 7), dead: false, slowMs: 0 }));
    this.registers = new Map<number, Register>([
      [0x00000000, [4, 2, false, (m, at) => this.energyKwh(m, at)]],
      [0x02010100, [2, 1, false, (m, at) => this.voltageV(m, at)]],
      [0x02020100, [3, 3, true, (m, at) => this.currentA(m, at)]],
      [0x02030000, [3, 4, true, (m, at) => this.powerKw(m, at)]],
      [0x02800002, [2, 2, false, () => 50]],
    ]);
    const handler: MeterBusHandler = { scan: scanDlt645, answer: (req) => this.answer(req) };
    this.bus = new SimulatedMeterBus(handler, opts.log ?? createLogger('sim-dlt645'));
  }

  meter(address: string): SimulatedElectricityMeter | undefined {
    return this.meters.find((m) => m.address === address);
  }

  /** A charger draws power 40 minutes of every hour (a session pattern), shifted per meter. */
  private charging(m: SimulatedElectricityMeter, at: number): boolean {
    return ((at / 60_000 + Number(m.address.slice(-2)) * 7) % 60) < 40;
  }
  powerKw(m: SimulatedElectricityMeter, at = this.now()): number {
    return this.charging(m, at) ? Math.round(m.loadKw * 10_000) / 10_000 : 0;
  }
  voltageV(m: SimulatedElectricityMeter, at = this.now()): number {
    return Math.round((226 - (this.charging(m, at) ? 4 : 0)) * 10) / 10;
  }
  currentA(m: SimulatedElectricityMeter, at = this.now()): number {
    return Math.round(((this.powerKw(m, at) * 1000) / this.voltageV(m, at)) * 1000) / 1000;
  }
  energyKwh(m: SimulatedElectricityMeter, at = this.now()): number {
    return Math.floor((m.baseKwh + (((at - this.startMs) / 3600_000) * m.loadKw * 40) / 60) * 100) / 100;
  }

  private answer(request: Buffer): { reply: Buffer; delayMs: number } | null {
    const d = decodeDlt645(request);
    if (!d.ok || d.frame.control !== DLT645.readData) return null;
    const m = this.meter(d.frame.address);
    if (!m || m.dead) return null;
    const reg = this.registers.get(d.frame.di);
    if (!reg) return { reply: encodeDlt645({ address: m.address, control: DLT645.readAbnormal, di: 0, data: Buffer.from([0x02]) }), delayMs: m.slowMs };
    const [length, decimals, signed, value] = reg;
    return { reply: encodeDlt645({ address: m.address, control: DLT645.readReply, di: d.frame.di, data: writeBcd(value(m, this.now()), length, decimals, signed) }), delayMs: m.slowMs };
  }
}

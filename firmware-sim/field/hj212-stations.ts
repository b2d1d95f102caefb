import { Socket } from 'node:net';
import { HJ212_CN, decodeHj212, frameHj212, hj212TimeText, segmentOf, type Hj212Packet } from '../../device-profiles/index.ts';
import { SeededRandom, hashString } from '../prng.ts';
import { initialStationWeather, stepStationWeather, type StationWeather } from '../physics/environmental-station.ts';

// HJ 212-2017 environmental stations pushing real-time data (CN 2011, ST 22)
// over TCP to a platform (the edge agent's HJ 212 server): one connection
// per station, a packet every `intervalMs`, Flag 5 (version 2017, answer
// requested); the 9014 answers are counted. Faults: a station can flood
// (many packets at once) or send malformed packets.

export interface StationOptions {
  host: string;
  port: number;
  stations: number;
  intervalMs: number;
  seed?: number;
  /** Station codes: prefix + number. */
  mnPrefix?: string;
  password?: string;
  now?: () => number;
}

export interface SimulatedStation {
  mn: string;
  weather: StationWeather;
  /** What the last packet carried (tests compare the agent's readings with it). */
  sent: Array<{ dataTime: string; values: Record<string, number> }>;
  acks: number;
  socket: Socket | null;
}

/** Metric → pollutant code and decimals, as the station formats them. */
const CODES: ReadonlyArray<[keyof Omit<StationWeather, 'digging'>, string, number]> = [['pm25', 'a34004', 1], ['pm10', 'a34002', 1], ['noiseDb', 'LA', 1], ['windMs', 'a01007', 1], ['windDeg', 'a01008', 0]];

export class Hj212StationFleet {
  readonly stations: SimulatedStation[];
  private readonly rng: SeededRandom;
  private timer: NodeJS.Timeout | null = null;
  private qn = 0;
  private readonly now: () => number;
  private lastStepAt: number;

  constructor(private readonly opts: StationOptions) {
    this.rng = new SeededRandom(hashString(`hj212:${opts.seed ?? 1}`));
    this.now = opts.now ?? Date.now;
    this.lastStepAt = this.now();
    this.stations = Array.from({ length: opts.stations }, (_, i) => ({ mn: `${opts.mnPrefix ?? 'ZMDENV'}${String(i + 1).padStart(4, '0')}`, weather: initialStationWeather(this.rng), sent: [], acks: 0, socket: null }));
  }

  /** Connects every station (resolves when all are connected). */
  async connect(): Promise<void> {
    await Promise.all(this.stations.map((s) => this.connectOne(s)));
  }

  private connectOne(s: SimulatedStation): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const socket = new Socket();
      socket.setNoDelay(true);
      socket.once('error', reject);
      socket.connect(this.opts.port, this.opts.host, () => {
        socket.off('error', reject);
        socket.on('error', () => undefined);
        let rx = '';
        socket.on('data', (chunk: Buffer) => {
          rx += chunk.toString('latin1');
          let end: number;
          while ((end = rx.indexOf('\r\n')) >= 0) {
            const packet = rx.slice(0, end + 2);
            rx = rx.slice(end + 2);
            const d = decodeHj212(Buffer.from(packet, 'latin1'));
            if (d.ok && d.frame.cn === HJ212_CN.dataAck) s.acks++;
          }
        });
        s.socket = socket;
        resolve();
      });
    });
  }

  /** Pushes every `intervalMs` until stop(). */
  start(): void {
    this.timer = setInterval(() => this.pushAll(), this.opts.intervalMs);
  }

  /** One round: the physics advance, every connected station sends one packet. */
  pushAll(): void {
    const now = this.now();
    const dtS = Math.max(1, (now - this.lastStepAt) / 1000);
    this.lastStepAt = now;
    const hour = new Date(now + 8 * 3600_000).getUTCHours();
    for (const s of this.stations) {
      s.weather = stepStationWeather(s.weather, this.rng, dtS, hour);
      this.push(s, now);
    }
  }

  /** The packet a station sends now (also used by benches and fault tests). */
  packet(s: SimulatedStation, at: number): { bytes: Buffer; values: Record<string, number>; dataTime: string } {
    const dataTime = hj212TimeText(at);
    const cp = new Map<string, string>([['DataTime', dataTime]]);
    const values: Record<string, number> = {};
    for (const [key, code, decimals] of CODES) {
      const text = s.weather[key].toFixed(decimals);
      values[code] = Number(text);
      cp.set(`${code}-Rtd`, text);
      cp.set(`${code}-Flag`, 'N');
    }
    this.qn = (this.qn + 1) % 1000;
    const p: Hj212Packet = { qn: `${hj212TimeText(at)}${String(this.qn).padStart(3, '0')}`, st: '22', cn: HJ212_CN.realTime, pw: this.opts.password ?? '123456', mn: s.mn, flag: 5, cp };
    return { bytes: frameHj212(segmentOf(p)), values, dataTime };
  }

  push(s: SimulatedStation, at = this.now()): void {
    if (!s.socket || s.socket.destroyed) return;
    const { bytes, values, dataTime } = this.packet(s, at);
    s.sent.push({ dataTime, values });
    if (s.sent.length > 100) s.sent.shift();
    s.socket.write(bytes);
  }

  /** Fault: `count` packets at once (distinct DataTimes one second apart, as a station emptying its backlog would). */
  flood(s: SimulatedStation, count: number): void {
    const at = this.now();
    const chunks: Buffer[] = [];
    for (let i = 0; i < count; i++) chunks.push(this.packet(s, at - (count - i) * 1000).bytes);
    s.socket?.write(Buffer.concat(chunks));
  }

  /** Fault: raw bytes on a station's connection (malformed packets). */
  sendRaw(s: SimulatedStation, bytes: Buffer): void {
    s.socket?.write(bytes);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all(this.stations.map((s) => new Promise<void>((resolve) => {
      const socket = s.socket;
      s.socket = null;
      if (!socket || socket.destroyed) return resolve();
      socket.once('close', () => resolve());
      socket.destroy();
    })));
  }
}

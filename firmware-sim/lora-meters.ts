import { createLogger, toError, TzError } from '../service-kit/index.ts';
import { SeededRandom, hashString } from './prng.ts';
import type { SimulatedDevice } from './simulated-device.ts';
import { SimulatedAbpDevice, SimulatedOtaaDevice, SimulatedPacketForwarder, encodeWaterMeterUplink, applyWaterMeterDownlink, WATER_METER_FPORT, type AbpKeys, type OtaaKeys } from './lora/index.ts';

// Water meters that report over LoRaWAN instead of RS-485: each is an ABP end
// device (./lora) sending its state as the water-meter codec expects, every
// report interval of simulated time, through one Semtech packet forwarder per
// district. Keys and addresses derive from the seed, so a gateway config can
// be written for them. A set_valve downlink is obeyed by the meter's physics.

export type LoraFault = 'replay' | 'bad-mic';

interface LoraMeter {
  device: SimulatedDevice;
  district: string;
  radio: SimulatedAbpDevice;
  /** ABP: session keys from the seed. */
  keys?: AbpKeys;
  /** OTAA: root keys from the seed; the session comes from the join. */
  otaa?: { keys: OtaaKeys; radio: SimulatedOtaaDevice };
  nextUplinkMs: number;
  downlinksSeen: number;
}

const hex = (rng: SeededRandom, bytes: number): string => Array.from({ length: bytes }, () => rng.int(0, 255).toString(16).padStart(2, '0')).join('');

export class LoraMeterFleet {
  private readonly meters = new Map<string, LoraMeter>();
  private forwarders = new Map<string, SimulatedPacketForwarder>();
  private readonly log = createLogger('firmware-sim');
  readonly counters = { uplinks: 0, uplinkFailures: 0, replays: 0, badMic: 0, downlinks: 0, notAttached: 0, joins: 0 };

  /** `activation: 'otaa'`: each meter joins (LoRaWAN 1.0.x §6.2) before its first report and again until it has. */
  constructor(devices: Array<{ device: SimulatedDevice; district: string }>, seed: number, startMs: number, activation: 'abp' | 'otaa' = 'abp') {
    for (const { device, district } of devices) {
      const rng = new SeededRandom(seed ^ hashString(`lora:${device.deviceId}`));
      const intervalMs = device.profile.reportIntervalSeconds * 1000;
      if (activation === 'otaa') {
        const keys = { devEui: `00${hex(rng, 7)}`, joinEui: '70b3d57ed0000000', appKey: hex(rng, 16) };
        const radio = new SimulatedOtaaDevice(device.deviceId, keys);
        this.meters.set(device.deviceId, { device, district, otaa: { keys, radio }, radio, nextUplinkMs: startMs + rng.float() * intervalMs, downlinksSeen: 0 });
        continue;
      }
      // 0x26 is The Things Network's NetID prefix for experimental ABP addresses (keys drawn before the phase, as always).
      const keys = { devAddr: `26${hex(rng, 3)}`, nwkSKey: hex(rng, 16), appSKey: hex(rng, 16) };
      const nextUplinkMs = startMs + rng.float() * intervalMs;
      this.meters.set(device.deviceId, { device, district, keys, radio: new SimulatedAbpDevice(device.deviceId, keys), nextUplinkMs, downlinksSeen: 0 });
    }
  }

  keysOf(deviceId: string): AbpKeys | undefined {
    return this.meters.get(deviceId)?.keys;
  }

  /** OTAA meters that have a session (their JoinAccept arrived). */
  get joined(): number {
    return [...this.meters.values()].filter((m) => m.otaa?.radio.joined).length;
  }

  otaaKeysOf(deviceId: string): OtaaKeys | undefined {
    return this.meters.get(deviceId)?.otaa?.keys;
  }

  get attached(): boolean {
    return this.forwarders.size > 0;
  }

  /** Starts one packet forwarder per district towards the network side (an edge agent's LoRa UDP port). */
  async attach(host: string, port: number): Promise<void> {
    if (this.attached) throw new TzError('TZ_CONFIG_INVALID', 'the LoRa meters are already attached to a network server');
    const districts = [...new Set([...this.meters.values()].map((m) => m.district))];
    try {
      for (const district of districts) {
        const devices = [...this.meters.values()].filter((m) => m.district === district).map((m) => m.radio);
        const eui = `b827ebfffe${(hashString(district) & 0xffffff).toString(16).padStart(6, '0')}`.slice(0, 16);
        this.forwarders.set(district, await SimulatedPacketForwarder.start({ host, port, devices, eui, keepaliveMs: 5000 }));
      }
    } catch (err) {
      await this.stop();
      throw new TzError('TZ_CONFIG_INVALID', `LoRa packet forwarder could not reach ${host}:${port}: ${toError(err).message}`, { cause: err });
    }
  }

  /** Sends every uplink due by simulated time `tMs`; obeys downlinks that arrived. */
  step(tMs: number, answering: (device: SimulatedDevice) => boolean): void {
    for (const m of this.meters.values()) {
      this.obeyDownlinks(m);
      if (m.nextUplinkMs > tMs) continue;
      m.nextUplinkMs += m.device.profile.reportIntervalSeconds * 1000;
      if (!answering(m.device)) continue;
      if (!this.attached) {
        this.counters.notAttached++;
        continue;
      }
      // Not joined yet (or the JoinAccept was lost): ask again instead of reporting.
      if (m.otaa && !m.otaa.radio.joined) this.push(m, m.otaa.radio.joinRequest(), 'joins');
      else this.push(m, m.radio.uplink(WATER_METER_FPORT, this.payload(m)), 'uplinks');
    }
  }

  /**
   * Puts the clock of the packet forwarder that hears this device off by
   * `skewMs` (its rxpk.time, which the network side stamps readings with);
   * every device of that district is affected, as with a real gateway.
   */
  skewClock(deviceId: string, skewMs: number): void {
    const m = this.meters.get(deviceId);
    if (!m) throw new TzError('TZ_SIM_FAULT_UNSUPPORTED', `${deviceId} is not a LoRa device`);
    const forwarder = this.forwarders.get(m.district);
    if (!forwarder) throw new TzError('TZ_CONFIG_INVALID', 'attach the LoRa meters to a network server first');
    forwarder.clockSkewMs = skewMs;
  }

  /** A replay (the last frame again, byte for byte) or a frame whose MIC does not match. */
  fault(deviceId: string, fault: LoraFault): void {
    const m = this.meters.get(deviceId);
    if (!m) throw new TzError('TZ_SIM_FAULT_UNSUPPORTED', `${deviceId} is not a LoRa device`);
    if (!this.attached) throw new TzError('TZ_CONFIG_INVALID', 'attach the LoRa meters to a network server first');
    if (fault === 'replay') this.push(m, m.radio.replay(), 'replays');
    else this.push(m, m.radio.corrupt(WATER_METER_FPORT, this.payload(m)), 'badMic');
  }

  private payload(m: LoraMeter): Buffer {
    const v = (metric: string) => m.device.valueOf(metric);
    return encodeWaterMeterUplink({
      volumeM3: Number(v('volume_m3')), flowM3h: Number(v('flow_m3h')), pressureMpa: Number(v('pressure_mpa')),
      valveOpen: v('valve_open') === true, reverseFlow: v('reverse_flow') === true, batteryPct: Number(v('battery_pct')),
    });
  }

  private push(m: LoraMeter, frame: Buffer, counter: 'uplinks' | 'replays' | 'badMic' | 'joins'): void {
    const forwarder = this.forwarders.get(m.district);
    if (!forwarder) throw new TzError('TZ_CONFIG_INVALID', 'attach the LoRa meters to a network server first');
    forwarder.push(frame).then(
      () => this.counters[counter]++,
      (err: unknown) => {
        this.counters.uplinkFailures++;
        this.log.debug({ err: toError(err), deviceId: m.device.deviceId }, 'LoRa uplink not acknowledged');
      },
    );
  }

  private obeyDownlinks(m: LoraMeter): void {
    for (let d = m.radio.downlinks[m.downlinksSeen]; d !== undefined; d = m.radio.downlinks[m.downlinksSeen]) {
      m.downlinksSeen += 1;
      const state = { volumeM3: 0, flowM3h: 0, pressureMpa: 0, valveOpen: m.device.valueOf('valve_open') === true, reverseFlow: false, batteryPct: 0 };
      if (applyWaterMeterDownlink(state, d.fPort, d.bytes)) {
        m.device.command('valve_open', state.valveOpen);
        this.counters.downlinks++;
      }
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.forwarders.values()].map((f) => f.stop()));
    this.forwarders.clear();
  }
}

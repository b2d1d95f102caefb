import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import loraPacketModule from 'lora-packet';
import type { DeviceProfile, LoraCodec } from '../../device-profiles/index.ts';
import { TzError, toError, type Logger } from '../../service-kit/index.ts';
import type { EdgeDeviceConfig } from '../config.ts';
import type { GatewayLedger } from '../gateway-ledger.ts';
import type { EdgeMetrics } from '../metrics.ts';
import { fcntMsbBytes, rebuildFcnt } from './frame-counter.ts';
import { encodePullAck, encodePullResp, encodePushAck, parseUpstream, type Rxpk, type Txpk } from './semtech-udp.ts';

// lora-packet is CommonJS: its types declare `export default`, but at run time
// `module.exports` is the API object itself (NodeNext types the import as the module).
type LoraPacketApi = typeof loraPacketModule.default;
const loraPacket: LoraPacketApi = (loraPacketModule as unknown as { default?: LoraPacketApi }).default ?? (loraPacketModule as unknown as LoraPacketApi);

/** A configured ABP device with its keys and codec. */
export interface LoraDevice {
  config: EdgeDeviceConfig;
  profile: DeviceProfile;
  codec: LoraCodec;
  devAddr: Buffer;
  nwkSKey: Buffer;
  appSKey: Buffer;
}

export interface Radio {
  rssi: number;
  snr: number | undefined;
  forwarder: string;
}

/** Why a frame was not turned into a reading (metric label). */
export type FrameOutcome = 'accepted' | 'duplicate' | 'replay' | 'mic' | 'unknown-device' | 'malformed' | 'crc' | 'unsupported' | 'codec-error' | 'mac-only';

export interface LoraReceiverOptions {
  host: string;
  port: number;
  dedupWindowMs: number;
  maxFcntGap: number;
  rx1DelayUs: number;
  ledger: GatewayLedger;
  metrics: EdgeMetrics;
  log: Logger;
  /** A decoded uplink: metric values by name, at the forwarder's receive time. */
  onUplink: (device: LoraDevice, at: number, values: Map<string, number | boolean>, radio: Radio) => void;
}

interface Heard { forwarder: string; rxpk: Rxpk }
interface PendingDownlink { fPort: number; bytes: number[]; deadline: number; resolve: (detail: string) => void; reject: (err: Error) => void }

const TX_ACK_WAIT_MS = 3000;

/**
 * The gateway's LoRaWAN side, speaking the Semtech UDP protocol to packet
 * forwarders (PUSH_DATA → PUSH_ACK, PULL_DATA → PULL_ACK, PULL_RESP → TX_ACK).
 * Per uplink: MIC checked with the device's NwkSKey over the rebuilt 32-bit
 * FCntUp, replays and counter rollbacks refused, the same frame heard by
 * several forwarders counted once, FRMPayload decrypted with the AppSKey
 * (lora-packet), and decoded by the profile's sandboxed codec. Accepted
 * counters are durable with the batch that carries the reading. Downlinks
 * (class A) wait for the device's next uplink and go out in RX1 as PULL_RESP
 * to the forwarder that heard it last.
 */
export class LoraReceiver {
  private socket: Socket | null = null;
  private byAddr = new Map<string, LoraDevice>();
  private readonly forwarders = new Map<string, RemoteInfo>();
  private readonly lastHeard = new Map<string, Heard>();
  private readonly recent = new Map<string, { at: number; mic: string }>();
  private readonly downlinks = new Map<string, PendingDownlink[]>();
  private readonly txAcks = new Map<number, (error: string) => void>();
  readonly counts: Record<FrameOutcome, number> = { accepted: 0, duplicate: 0, replay: 0, mic: 0, 'unknown-device': 0, malformed: 0, crc: 0, unsupported: 0, 'codec-error': 0, 'mac-only': 0 };
  private sweep: NodeJS.Timeout | null = null;

  constructor(private readonly opts: LoraReceiverOptions, devices: LoraDevice[]) {
    this.setDevices(devices);
  }

  /** Binds the UDP socket; resolves with the bound address. */
  async start(): Promise<{ host: string; port: number }> {
    const socket = createSocket('udp4');
    this.socket = socket;
    socket.on('message', (msg, rinfo) => this.onPacket(msg, rinfo));
    socket.on('error', (err) => this.opts.log.error({ err: err.message }, 'LoRa UDP socket error'));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.opts.port, this.opts.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.sweep = setInterval(() => this.expire(), 1000);
    this.sweep.unref();
    const a = socket.address();
    return { host: a.address, port: a.port };
  }

  /** Replaces the device table (config reload); counters stay in the ledger. */
  setDevices(devices: LoraDevice[]): void {
    this.byAddr = new Map(devices.map((d) => [d.devAddr.toString('hex'), d]));
  }

  /** Queues a downlink for the device's next receive window; resolves with a detail when the forwarder took it. */
  downlink(deviceId: string, fPort: number, bytes: number[], deadline: number): Promise<string> {
    if (![...this.byAddr.values()].some((d) => d.config.deviceId === deviceId)) return Promise.reject(new TzError('TZ_DEVICE_UNKNOWN', `no LoRa device ${deviceId}`));
    return new Promise((resolve, reject) => {
      const list = this.downlinks.get(deviceId) ?? [];
      list.push({ fPort, bytes, deadline, resolve, reject });
      this.downlinks.set(deviceId, list);
    });
  }

  async stop(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    for (const list of this.downlinks.values()) for (const d of list) d.reject(new TzError('TZ_LORA_FRAME', 'agent stopping before the device listened'));
    this.downlinks.clear();
    const socket = this.socket;
    this.socket = null;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private onPacket(msg: Buffer, rinfo: RemoteInfo): void {
    let packet;
    try {
      packet = parseUpstream(msg);
    } catch (err) {
      this.count('malformed');
      this.opts.log.debug({ from: `${rinfo.address}:${rinfo.port}`, err: toError(err).message }, 'not a Semtech UDP packet');
      return;
    }
    if (packet.kind === 'pull-data') {
      // The downstream path: PULL_RESP goes to where PULL_DATA came from.
      this.forwarders.set(packet.eui, rinfo);
      this.send(encodePullAck(packet.token), rinfo);
      return;
    }
    if (packet.kind === 'tx-ack') {
      this.txAcks.get(packet.token)?.(packet.error);
      return;
    }
    this.send(encodePushAck(packet.token), rinfo);
    for (const rxpk of packet.rxpk) this.onRxpk(packet.eui, rxpk);
  }

  private onRxpk(forwarder: string, rxpk: Rxpk): void {
    const { ledger, log } = this.opts;
    if (rxpk.stat === -1) return this.count('crc');
    let frame;
    try {
      frame = loraPacket.fromWire(Buffer.from(String(rxpk.data), 'base64'));
    } catch (err) {
      log.debug({ forwarder, err: toError(err).message }, 'undecodable PHYPayload');
      return this.count('malformed');
    }
    const mtype = frame.getMType();
    if (mtype !== 'Unconfirmed Data Up' && mtype !== 'Confirmed Data Up') return this.count('unsupported');
    const addr = frame.DevAddr?.toString('hex') ?? '';
    const device = this.byAddr.get(addr);
    if (!device) {
      log.debug({ devAddr: addr, forwarder }, 'uplink from an unknown DevAddr');
      return this.count('unknown-device');
    }
    const deviceId = device.config.deviceId;
    const last = ledger.counters(deviceId).fcntUp;
    const { fcnt, verdict } = rebuildFcnt(last, frame.getFCnt() ?? 0, this.opts.maxFcntGap);
    if (!loraPacket.verifyMIC(frame, device.nwkSKey, undefined, fcntMsbBytes(fcnt))) {
      // Signed under the previous upper bits: a genuine frame from before the rollover, i.e. a replay.
      if (fcnt >= 0x10000 && loraPacket.verifyMIC(frame, device.nwkSKey, undefined, fcntMsbBytes(fcnt - 0x10000))) {
        log.warn({ deviceId, fcnt: fcnt - 0x10000, last, forwarder }, 'LoRa frame with an old frame counter refused (replay)');
        return this.count('replay');
      }
      log.warn({ deviceId, devAddr: addr, fcnt, forwarder }, 'LoRa frame with a bad MIC refused (corrupt or forged)');
      return this.count('mic');
    }
    const mic = frame.MIC?.toString('hex') ?? '';
    const key = `${addr}:${fcnt}`;
    if (verdict === 'same') {
      const seen = this.recent.get(key);
      if (seen && seen.mic === mic && Date.now() - seen.at <= this.opts.dedupWindowMs) return this.count('duplicate');
      log.warn({ deviceId, fcnt, forwarder }, 'LoRa frame replayed (counter already used) refused');
      return this.count('replay');
    }
    if (verdict === 'too-far') {
      log.warn({ deviceId, fcnt, last, forwarder, maxFcntGap: this.opts.maxFcntGap }, 'LoRa frame counter went back or jumped too far: refused');
      return this.count('replay');
    }
    ledger.acceptFcntUp(deviceId, fcnt);
    this.recent.set(key, { at: Date.now(), mic });
    this.lastHeard.set(deviceId, { forwarder, rxpk });
    const radio: Radio = { rssi: Number(rxpk.rssi), snr: rxpk.lsnr === undefined ? undefined : Number(rxpk.lsnr), forwarder };
    this.sendPendingDownlink(device, rxpk, forwarder);
    const fPort = frame.getFPort() ?? 0;
    if (fPort === 0 || !frame.FRMPayload || frame.FRMPayload.length === 0) return this.count('mac-only');
    const bytes = [...loraPacket.decrypt(frame, device.appSKey, device.nwkSKey, fcntMsbBytes(fcnt))];
    const at = rxpk.time && Number.isFinite(Date.parse(rxpk.time)) ? Date.parse(rxpk.time) : Date.now();
    const decoded = device.codec.decodeUplink({ bytes, fPort, recvTime: new Date(at).toISOString() });
    if (decoded.errors.length > 0) {
      this.opts.metrics.codecErrors.inc();
      log.warn({ deviceId, fPort, errors: decoded.errors }, 'codec could not decode the uplink');
      return this.count('codec-error');
    }
    if (decoded.warnings.length > 0) log.debug({ deviceId, warnings: decoded.warnings }, 'codec warnings');
    this.count('accepted');
    this.opts.onUplink(device, at, new Map(Object.entries(decoded.data)), radio);
  }

  private sendPendingDownlink(device: LoraDevice, rxpk: Rxpk, forwarderEui: string): void {
    const deviceId = device.config.deviceId;
    const pending = this.downlinks.get(deviceId)?.shift();
    if (!pending) return;
    const forwarder = this.forwarders.get(forwarderEui);
    if (!forwarder) {
      this.opts.metrics.loraDownlinks.inc({ outcome: 'no-forwarder' });
      pending.reject(new TzError('TZ_LORA_FRAME', `forwarder ${forwarderEui} never sent PULL_DATA: no downstream path`));
      return;
    }
    const fcntDown = this.opts.ledger.takeFcntDown(deviceId);
    const phy = loraPacket.fromFields(
      { MType: 'Unconfirmed Data Down', DevAddr: device.devAddr, FCtrl: { ADR: false, ACK: false, FPending: (this.downlinks.get(deviceId)?.length ?? 0) > 0 }, FCnt: fcntDown & 0xffff, FPort: pending.fPort, payload: Buffer.from(pending.bytes) },
      device.appSKey, device.nwkSKey, undefined, fcntMsbBytes(fcntDown),
    ).getPHYPayload() as Buffer;
    // Class A, RX1: same channel and data rate as the uplink, inverted polarity, RECEIVE_DELAY1 after it.
    const txpk: Txpk = { imme: false, tmst: (Number(rxpk.tmst) + this.opts.rx1DelayUs) >>> 0, freq: Number(rxpk.freq), rfch: 0, powe: 14, modu: 'LORA', datr: rxpk.datr, codr: rxpk.codr ?? '4/5', ipol: true, size: phy.length, data: phy.toString('base64') };
    const token = randomInt(0, 0x10000);
    const timer = setTimeout(() => {
      this.txAcks.delete(token);
      this.opts.metrics.loraDownlinks.inc({ outcome: 'no-tx-ack' });
      pending.resolve(`sent to forwarder ${forwarderEui} (FCntDown ${fcntDown}); no TX_ACK`);
    }, TX_ACK_WAIT_MS);
    this.txAcks.set(token, (error) => {
      clearTimeout(timer);
      this.txAcks.delete(token);
      if (error === 'NONE' || error === '') {
        this.opts.metrics.loraDownlinks.inc({ outcome: 'sent' });
        pending.resolve(`sent by forwarder ${forwarderEui} in RX1 (FCntDown ${fcntDown})`);
      } else {
        this.opts.metrics.loraDownlinks.inc({ outcome: 'tx-error' });
        pending.reject(new TzError('TZ_LORA_FRAME', `forwarder ${forwarderEui} refused the downlink: ${error}`));
      }
    });
    this.send(encodePullResp(token, txpk), forwarder);
  }

  private expire(): void {
    const now = Date.now();
    for (const [k, v] of this.recent) if (now - v.at > this.opts.dedupWindowMs) this.recent.delete(k);
    for (const [id, list] of this.downlinks) {
      for (const d of list.filter((x) => x.deadline <= now)) d.reject(new TzError('TZ_LORA_FRAME', `device ${id} sent no uplink before the command expired (class A devices listen only after an uplink)`));
      const alive = list.filter((x) => x.deadline > now);
      if (alive.length) this.downlinks.set(id, alive);
      else this.downlinks.delete(id);
    }
  }

  private count(outcome: FrameOutcome): void {
    this.counts[outcome]++;
    this.opts.metrics.loraFrames.inc({ outcome });
  }

  private send(buf: Buffer, to: RemoteInfo): void {
    this.socket?.send(buf, to.port, to.address);
  }
}

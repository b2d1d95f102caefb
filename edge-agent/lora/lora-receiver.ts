import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import type { DeviceProfile, LoraCodec } from '../../device-profiles/index.ts';
import { TzError, systemClock, toError, type Clock, type Logger } from '../../service-kit/index.ts';
import type { EdgeDeviceConfig } from '../config.ts';
import type { GatewayLedger } from '../gateway-ledger.ts';
import type { EdgeMetrics } from '../metrics.ts';
import { fcntMsbBytes, rebuildFcnt } from './frame-counter.ts';
import { answerJoinRequest, type OtaaKeys } from './join-server.ts';
import { buildDataDown, loraPacket } from './lora-packet.ts';
import type { LoraSession, LoraSessionStore } from './lora-sessions.ts';
import { encodePullAck, encodePullResp, encodePushAck, parseUpstream, type Rxpk, type Txpk } from './semtech-udp.ts';

/**
 * A configured LoRa device with its codec: ABP (session keys from the config)
 * or OTAA (root keys; the session comes from a join and is kept on disk).
 */
export interface LoraDevice {
  config: EdgeDeviceConfig;
  profile: DeviceProfile;
  codec: LoraCodec;
  deviceClass: 'A' | 'C';
  otaa: OtaaKeys | null;
  /** null until an OTAA device has joined. */
  session: LoraSession | null;
}

export interface Radio {
  rssi: number;
  snr: number | undefined;
  forwarder: string;
}

/** Why a frame was not turned into a reading (metric label). */
export type FrameOutcome = 'accepted' | 'duplicate' | 'replay' | 'mic' | 'unknown-device' | 'malformed' | 'crc' | 'unsupported' | 'codec-error' | 'mac-only' | 'joined' | 'join-replay' | 'flood';

export interface LoraReceiverOptions {
  host: string;
  port: number;
  dedupWindowMs: number;
  maxFcntGap: number;
  rx1DelayUs: number;
  /** OTAA: NetID, JOIN_ACCEPT_DELAY1 and where class C downlinks go (RX2). */
  netId: Buffer;
  joinAcceptDelayUs: number;
  rx2FrequencyMHz: number;
  rx2DataRate: string;
  maxFramesPerDevicePerMinute: number;
  sessions: LoraSessionStore;
  ledger: GatewayLedger;
  metrics: EdgeMetrics;
  log: Logger;
  /** The agent's clock: de-duplication window, flood minute, command deadlines, receive time without rxpk.time. */
  clock?: Clock;
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
 * counters are durable with the batch that carries the reading. OTAA
 * JoinRequests are answered here (join-server.ts; sessions durable in
 * lora-sessions.ts). Class A downlinks wait for the device's next uplink and
 * go out in RX1 as PULL_RESP to the forwarder that heard it last, carrying the
 * ACK of a confirmed uplink; class C downlinks go out at once on RX2.
 */
export class LoraReceiver {
  private readonly clock: Clock;
  private socket: Socket | null = null;
  private byAddr = new Map<string, LoraDevice>();
  private byEui = new Map<string, LoraDevice & { otaa: OtaaKeys }>();
  private devices: LoraDevice[] = [];
  /** Accepted frames per device in the current minute (flood guard). */
  private readonly rate = new Map<string, { minute: number; frames: number }>();
  private readonly forwarders = new Map<string, RemoteInfo>();
  private readonly lastHeard = new Map<string, Heard>();
  private readonly recent = new Map<string, { at: number; mic: string }>();
  private readonly downlinks = new Map<string, PendingDownlink[]>();
  private readonly txAcks = new Map<number, (error: string) => void>();
  readonly counts: Record<FrameOutcome, number> = { accepted: 0, duplicate: 0, replay: 0, mic: 0, 'unknown-device': 0, malformed: 0, crc: 0, unsupported: 0, 'codec-error': 0, 'mac-only': 0, joined: 0, 'join-replay': 0, flood: 0 };
  private sweep: NodeJS.Timeout | null = null;

  constructor(private readonly opts: LoraReceiverOptions, devices: LoraDevice[]) {
    this.clock = opts.clock ?? systemClock;
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
    for (const d of devices) if (d.otaa && !d.session) d.session = this.opts.sessions.session(d.config.deviceId, d.otaa.devEui.toString('hex'));
    this.devices = devices;
    this.byEui = new Map();
    for (const d of devices) if (d.otaa) this.byEui.set(d.otaa.devEui.toString('hex'), d as LoraDevice & { otaa: OtaaKeys });
    this.indexSessions();
  }

  /** The session a device has now (tests and status); null before an OTAA join. */
  sessionOf(deviceId: string): LoraSession | null {
    return this.devices.find((d) => d.config.deviceId === deviceId)?.session ?? null;
  }

  private indexSessions(): void {
    this.byAddr = new Map(this.devices.flatMap((d) => (d.session ? [[d.session.devAddr.toString('hex'), d] as const] : [])));
  }

  /** Queues a downlink for the device's next receive window; resolves with a detail when the forwarder took it. */
  downlink(deviceId: string, fPort: number, bytes: number[], deadline: number): Promise<string> {
    const device = this.devices.find((d) => d.config.deviceId === deviceId);
    if (!device) return Promise.reject(new TzError('TZ_DEVICE_UNKNOWN', `no LoRa device ${deviceId}`));
    if (!device.session) return Promise.reject(new TzError('TZ_LORA_FRAME', `LoRa device ${deviceId} has not joined yet (OTAA): no session to send with`));
    // Class C listens on RX2 whenever it is not sending: the command goes out now (LoRaWAN 1.0.x §17).
    if (device.deviceClass === 'C') return this.sendClassC(device, device.session, { fPort, bytes });
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
    const phy = Buffer.from(String(rxpk.data), 'base64');
    // Lengths fixed by the spec before any parsing: a JoinRequest is 23 bytes (§6.2.4), a data frame at least MHDR+FHDR+MIC = 12 (§4).
    const mtypeBits = phy.length > 0 ? phy.readUInt8(0) >> 5 : -1;
    if (mtypeBits === 0 ? phy.length !== 23 : (mtypeBits >= 2 && mtypeBits <= 5 && phy.length < 12) || phy.length === 0) {
      log.debug({ forwarder, bytes: phy.length }, 'PHYPayload of an impossible length');
      return this.count('malformed');
    }
    try {
      frame = loraPacket.fromWire(phy);
    } catch (err) {
      log.debug({ forwarder, err: toError(err).message }, 'undecodable PHYPayload');
      return this.count('malformed');
    }
    const mtype = frame.getMType();
    if (mtype === 'Join Request') return this.onJoinRequest(forwarder, rxpk, frame);
    if (mtype !== 'Unconfirmed Data Up' && mtype !== 'Confirmed Data Up') return this.count('unsupported');
    const addr = frame.DevAddr?.toString('hex') ?? '';
    const device = this.byAddr.get(addr);
    if (!device || !device.session) {
      log.debug({ devAddr: addr, forwarder }, 'uplink from an unknown DevAddr');
      return this.count('unknown-device');
    }
    const session = device.session;
    const deviceId = device.config.deviceId;
    const last = ledger.counters(deviceId).fcntUp;
    const { fcnt, verdict } = rebuildFcnt(last, frame.getFCnt() ?? 0, this.opts.maxFcntGap);
    if (!loraPacket.verifyMIC(frame, session.nwkSKey, undefined, fcntMsbBytes(fcnt))) {
      // Signed under the previous upper bits: a genuine frame from before the rollover, i.e. a replay.
      if (fcnt >= 0x10000 && loraPacket.verifyMIC(frame, session.nwkSKey, undefined, fcntMsbBytes(fcnt - 0x10000))) {
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
      if (seen && seen.mic === mic && this.clock.now() - seen.at <= this.opts.dedupWindowMs) return this.count('duplicate');
      log.warn({ deviceId, fcnt, forwarder }, 'LoRa frame replayed (counter already used) refused');
      return this.count('replay');
    }
    if (verdict === 'too-far') {
      log.warn({ deviceId, fcnt, last, forwarder, maxFcntGap: this.opts.maxFcntGap }, 'LoRa frame counter went back or jumped too far: refused');
      return this.count('replay');
    }
    // A device that talks far more than any profile allows is refused before the codec runs, so it cannot starve the rest.
    if (this.flooding(deviceId)) return this.count('flood');
    ledger.acceptFcntUp(deviceId, fcnt);
    this.recent.set(key, { at: this.clock.now(), mic });
    this.lastHeard.set(deviceId, { forwarder, rxpk });
    const radio: Radio = { rssi: Number(rxpk.rssi), snr: rxpk.lsnr === undefined ? undefined : Number(rxpk.lsnr), forwarder };
    // A confirmed uplink is acknowledged by the ACK bit of the downlink in this uplink's RX1 (§4.3.1.2, §18).
    this.sendRx1(device, session, rxpk, forwarder, mtype === 'Confirmed Data Up');
    const fPort = frame.getFPort() ?? 0;
    if (fPort === 0 || !frame.FRMPayload || frame.FRMPayload.length === 0) return this.count('mac-only');
    const bytes = [...loraPacket.decrypt(frame, session.appSKey, session.nwkSKey, fcntMsbBytes(fcnt))];
    const at = rxpk.time && Number.isFinite(Date.parse(rxpk.time)) ? Date.parse(rxpk.time) : this.clock.now();
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

  private onJoinRequest(forwarder: string, rxpk: Rxpk, frame: ReturnType<typeof loraPacket.fromWire>): void {
    const devEui = frame.DevEUI?.toString('hex') ?? '';
    const device = this.byEui.get(devEui);
    if (device && this.flooding(device.config.deviceId)) return this.count('flood');
    let verdict;
    try {
      verdict = answerJoinRequest(frame, device ? { deviceId: device.config.deviceId, otaa: device.otaa } : undefined, this.opts.sessions, {
        netId: this.opts.netId, rxDelayS: Math.max(1, Math.round(this.opts.rx1DelayUs / 1_000_000)), dlSettings: 0, now: this.clock.now(),
        addrTaken: (a) => this.byAddr.has(a),
      });
    } catch (err) {
      this.opts.log.warn({ devEui, forwarder, err: toError(err).message }, 'JoinRequest could not be answered');
      return this.count('malformed');
    }
    if (verdict.outcome !== 'joined') {
      this.opts.log.warn({ devEui, forwarder, detail: verdict.detail }, 'JoinRequest refused');
      return this.count(verdict.outcome);
    }
    // answerJoinRequest joins only a device it was given.
    if (!device) throw new TzError('TZ_INTERNAL', `LoRa JoinRequest from ${devEui} joined without a device`);
    const d = device;
    const old = d.session?.devAddr.toString('hex');
    d.session = verdict.session;
    if (old) this.byAddr.delete(old);
    this.byAddr.set(verdict.session.devAddr.toString('hex'), d);
    this.lastHeard.set(d.config.deviceId, { forwarder, rxpk });
    this.opts.log.info({ deviceId: d.config.deviceId, devEui, devAddr: verdict.session.devAddr.toString('hex'), forwarder }, 'LoRa device joined (OTAA)');
    this.count('joined');
    // JoinAccept in RX1 of the join: JOIN_ACCEPT_DELAY1 after the request, same channel, inverted polarity.
    this.transmit(d.config.deviceId, forwarder, verdict.joinAccept, {
      imme: false, tmst: (Number(rxpk.tmst) + this.opts.joinAcceptDelayUs) >>> 0, freq: Number(rxpk.freq), datr: rxpk.datr, codr: rxpk.codr ?? '4/5',
    }).catch((err: unknown) => this.opts.log.warn({ deviceId: d.config.deviceId, err: toError(err).message }, 'JoinAccept not sent'));
  }

  /** RX1 after an uplink: the next queued command and/or the ACK of a confirmed uplink. */
  private sendRx1(device: LoraDevice, session: LoraSession, rxpk: Rxpk, forwarderEui: string, ack: boolean): void {
    const deviceId = device.config.deviceId;
    const pending = this.downlinks.get(deviceId)?.shift();
    if (!pending && !ack) return;
    const phy = buildDataDown({ session, fcntDown: this.opts.ledger.takeFcntDown(deviceId), app: pending ?? null, ack, fPending: (this.downlinks.get(deviceId)?.length ?? 0) > 0 });
    // Class A, RX1: same channel and data rate as the uplink, inverted polarity, RECEIVE_DELAY1 after it.
    const sent = this.transmit(deviceId, forwarderEui, phy, { imme: false, tmst: (Number(rxpk.tmst) + this.opts.rx1DelayUs) >>> 0, freq: Number(rxpk.freq), datr: rxpk.datr, codr: rxpk.codr ?? '4/5' });
    if (ack) this.opts.metrics.loraDownlinks.inc({ outcome: 'ack' });
    if (pending) sent.then((detail) => pending.resolve(`${detail} in RX1`), pending.reject);
    else sent.catch((err: unknown) => this.opts.log.warn({ deviceId, err: toError(err).message }, 'ACK of a confirmed uplink not sent'));
  }

  /** Class C: sent at once on RX2 through the forwarder that heard the device last (or any that pulled). */
  private sendClassC(device: LoraDevice, session: LoraSession, app: { fPort: number; bytes: number[] }): Promise<string> {
    const deviceId = device.config.deviceId;
    const forwarder = this.lastHeard.get(deviceId)?.forwarder ?? [...this.forwarders.keys()][0];
    if (!forwarder) {
      this.opts.metrics.loraDownlinks.inc({ outcome: 'no-forwarder' });
      return Promise.reject(new TzError('TZ_LORA_FRAME', `no packet forwarder has connected: no way to reach class C device ${deviceId}`));
    }
    const phy = buildDataDown({ session, fcntDown: this.opts.ledger.takeFcntDown(deviceId), app, ack: false, fPending: false });
    return this.transmit(deviceId, forwarder, phy, { imme: true, freq: this.opts.rx2FrequencyMHz, datr: this.opts.rx2DataRate, codr: '4/5' }).then((detail) => `${detail} at once on RX2 (class C)`);
  }

  /** One PULL_RESP to a forwarder; resolves on its TX_ACK (or after TX_ACK_WAIT_MS: old forwarders send none). */
  private transmit(deviceId: string, forwarderEui: string, phy: Buffer, radio: { imme: boolean; tmst?: number; freq: number; datr: string | number; codr: string }): Promise<string> {
    const forwarder = this.forwarders.get(forwarderEui);
    if (!forwarder) {
      this.opts.metrics.loraDownlinks.inc({ outcome: 'no-forwarder' });
      return Promise.reject(new TzError('TZ_LORA_FRAME', `forwarder ${forwarderEui} never sent PULL_DATA: no downstream path to ${deviceId}`));
    }
    const txpk: Txpk = { ...radio, rfch: 0, powe: 14, modu: 'LORA', ipol: true, size: phy.length, data: phy.toString('base64') };
    const token = randomInt(0, 0x10000);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.txAcks.delete(token);
        this.opts.metrics.loraDownlinks.inc({ outcome: 'no-tx-ack' });
        resolve(`sent to forwarder ${forwarderEui}; no TX_ACK`);
      }, TX_ACK_WAIT_MS);
      this.txAcks.set(token, (error) => {
        clearTimeout(timer);
        this.txAcks.delete(token);
        if (error === 'NONE' || error === '') {
          this.opts.metrics.loraDownlinks.inc({ outcome: 'sent' });
          resolve(`sent by forwarder ${forwarderEui}`);
        } else {
          this.opts.metrics.loraDownlinks.inc({ outcome: 'tx-error' });
          reject(new TzError('TZ_LORA_FRAME', `forwarder ${forwarderEui} refused the downlink: ${error}`));
        }
      });
      this.send(encodePullResp(token, txpk), forwarder);
    });
  }

  /** True when a device went over its frames-per-minute budget (counted by the caller). */
  private flooding(deviceId: string): boolean {
    const minute = Math.floor(this.clock.now() / 60_000);
    const r = this.rate.get(deviceId);
    if (!r || r.minute !== minute) {
      this.rate.set(deviceId, { minute, frames: 1 });
      return false;
    }
    r.frames++;
    return r.frames > this.opts.maxFramesPerDevicePerMinute;
  }

  private expire(): void {
    const now = this.clock.now();
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

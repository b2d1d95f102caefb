import loraPacketModule from 'lora-packet';

// lora-packet is CommonJS: its types declare `export default`, but at run time
// `module.exports` is the API object itself (NodeNext types the import as the module).
type LoraPacketApi = typeof loraPacketModule.default;
const loraPacket: LoraPacketApi = (loraPacketModule as unknown as { default?: LoraPacketApi }).default ?? (loraPacketModule as unknown as LoraPacketApi);

/** The upper 16 bits of a 32-bit frame counter, little-endian, as lora-packet takes them. */
const msb = (fcnt: number): Buffer => {
  const hi = Math.floor(fcnt / 0x10000) & 0xffff;
  return Buffer.from([hi & 0xff, hi >> 8]);
};

export interface AbpKeys {
  /** 4 bytes hex, MSB first. */
  devAddr: string;
  nwkSKey: string;
  appSKey: string;
}

export interface ReceivedDownlink {
  /** 0 with no bytes for an empty frame (an ACK only). */
  fPort: number;
  bytes: number[];
  fcntDown: number;
  /** FCtrl.ACK: the network acknowledged the last confirmed uplink. */
  ack: boolean;
}

/**
 * A simulated LoRaWAN 1.0.x ABP end device: builds real uplink frames
 * (FRMPayload encrypted with the AppSKey, MIC with the NwkSKey over the full
 * 32-bit FCntUp, only 16 bits on air), and checks and decrypts downlinks.
 * On demand it repeats its last frame (a replay) or sends one with a broken
 * MIC (corruption on air, or a forger without the key).
 */
export class SimulatedAbpDevice {
  devAddr: Buffer;
  protected nwkSKey: Buffer;
  protected appSKey: Buffer;
  /** Next FCntUp (32-bit). */
  fcntUp: number;
  private lastFrame: Buffer | null = null;
  /** Highest NFCntDown accepted in this session (-1: none). */
  protected lastFcntDown = -1;
  /** FCntUp of the last confirmed uplink, and whether the network acknowledged it. */
  lastConfirmed: { fcnt: number; acked: boolean } | null = null;
  readonly downlinks: ReceivedDownlink[] = [];
  /** Called with every data downlink that carries a payload (the firmware obeys it). */
  onDownlink: ((d: ReceivedDownlink) => void) | null = null;

  constructor(readonly deviceId: string, keys: AbpKeys, fcntUp = 0) {
    this.devAddr = Buffer.from(keys.devAddr, 'hex');
    this.nwkSKey = Buffer.from(keys.nwkSKey, 'hex');
    this.appSKey = Buffer.from(keys.appSKey, 'hex');
    this.fcntUp = fcntUp;
  }

  /** The next uplink's PHYPayload; advances the frame counter. */
  uplink(fPort: number, payload: number[] | Buffer, confirmed = false): Buffer {
    const fcnt = this.fcntUp++;
    if (confirmed) this.lastConfirmed = { fcnt, acked: false };
    const frame = loraPacket.fromFields(
      { MType: confirmed ? 'Confirmed Data Up' : 'Unconfirmed Data Up', DevAddr: this.devAddr, FCtrl: { ADR: false, ACK: false }, FCnt: fcnt & 0xffff, FPort: fPort, payload: Buffer.from(payload) },
      this.appSKey, this.nwkSKey, undefined, msb(fcnt),
    ).getPHYPayload() as Buffer;
    this.lastFrame = frame;
    return frame;
  }

  /** The last frame again, byte for byte (what a replay attacker records and resends). */
  replay(): Buffer {
    if (!this.lastFrame) throw new Error(`${this.deviceId} has sent nothing to replay`);
    return Buffer.from(this.lastFrame);
  }

  /** A fresh uplink with one payload bit flipped after the MIC was computed: the MIC no longer matches. */
  corrupt(fPort: number, payload: number[] | Buffer): Buffer {
    const frame = Buffer.from(this.uplink(fPort, payload));
    frame.writeUInt8(frame.readUInt8(frame.length - 5) ^ 0x01, frame.length - 5);
    return frame;
  }

  /** Checks and decrypts a downlink PHYPayload meant for this device; null if it is not for us or the MIC fails. */
  receive(phy: Buffer): ReceivedDownlink | null {
    const frame = loraPacket.fromWire(phy);
    if (!frame.DevAddr || !frame.DevAddr.equals(this.devAddr) || frame.getDir() !== 'down') return null;
    const fcnt16 = frame.getFCnt() ?? 0;
    const last = this.lastFcntDown;
    let fcnt = last < 0 ? fcnt16 : Math.floor(last / 0x10000) * 0x10000 + fcnt16;
    if (last >= 0 && fcnt <= last) fcnt += 0x10000;
    if (!loraPacket.verifyMIC(frame, this.nwkSKey, undefined, msb(fcnt))) return null;
    const bytes = frame.getFPort() === null ? [] : [...loraPacket.decrypt(frame, this.appSKey, this.nwkSKey, msb(fcnt))];
    const ack = frame.getFCtrlACK() === true;
    // §4.3.1.2: an ACK answers the last confirmed uplink.
    if (ack && this.lastConfirmed) this.lastConfirmed.acked = true;
    this.lastFcntDown = fcnt;
    const got = { fPort: frame.getFPort() ?? 0, bytes, fcntDown: fcnt, ack };
    this.downlinks.push(got);
    if (got.fPort > 0) this.onDownlink?.(got);
    return got;
  }
}

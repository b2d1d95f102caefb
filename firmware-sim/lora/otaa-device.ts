import { randomBytes } from 'node:crypto';
import loraPacketModule from 'lora-packet';
import { SimulatedAbpDevice, type ReceivedDownlink } from './abp-device.ts';

type LoraPacketApi = typeof loraPacketModule.default;
const loraPacket: LoraPacketApi = (loraPacketModule as unknown as { default?: LoraPacketApi }).default ?? (loraPacketModule as unknown as LoraPacketApi);

export interface OtaaKeys {
  /** 8 bytes hex, MSB first. */
  devEui: string;
  /** AppEUI (1.0.x) / JoinEUI (1.0.4), 8 bytes hex. */
  joinEui: string;
  appKey: string;
}

/**
 * A simulated LoRaWAN 1.0.x OTAA end device (§6.2): it sends a JoinRequest
 * signed with its AppKey, decrypts the JoinAccept with the same key, checks
 * its MIC and derives NwkSKey and AppSKey from AppNonce, NetID and its
 * DevNonce. From then on it is a data device like the ABP one, with a fresh
 * session (frame counters from 0). It can replay its last JoinRequest, as an
 * attacker who recorded it would.
 */
export class SimulatedOtaaDevice extends SimulatedAbpDevice {
  private readonly devEui: Buffer;
  private readonly joinEui: Buffer;
  private readonly appKey: Buffer;
  private lastJoinRequest: Buffer | null = null;
  private devNonce: Buffer | null = null;
  joined = false;
  /** JoinAccepts this device accepted (a replayed join must not make one). */
  joins = 0;

  constructor(deviceId: string, readonly keys: OtaaKeys) {
    super(deviceId, { devAddr: '00000000', nwkSKey: '00'.repeat(16), appSKey: '00'.repeat(16) });
    this.devEui = Buffer.from(keys.devEui, 'hex');
    this.joinEui = Buffer.from(keys.joinEui, 'hex');
    this.appKey = Buffer.from(keys.appKey, 'hex');
  }

  /** A JoinRequest with a fresh random DevNonce (1.0.2 §6.2.4). */
  joinRequest(devNonce: Buffer = randomBytes(2)): Buffer {
    this.devNonce = devNonce;
    const frame = loraPacket.fromFields({ MType: 'Join Request', AppEUI: this.joinEui, DevEUI: this.devEui, DevNonce: devNonce }, undefined, undefined, this.appKey).getPHYPayload() as Buffer;
    this.lastJoinRequest = frame;
    return frame;
  }

  /** The last JoinRequest again, byte for byte. */
  replayJoin(): Buffer {
    if (!this.lastJoinRequest) throw new Error(`${this.deviceId} has sent no JoinRequest`);
    return Buffer.from(this.lastJoinRequest);
  }

  /** A JoinRequest signed with the wrong key (a forger who knows the DevEUI but not the AppKey). */
  forgedJoinRequest(): Buffer {
    return loraPacket.fromFields({ MType: 'Join Request', AppEUI: this.joinEui, DevEUI: this.devEui, DevNonce: randomBytes(2) }, undefined, undefined, randomBytes(16)).getPHYPayload() as Buffer;
  }

  override receive(phy: Buffer): ReceivedDownlink | null {
    if (phy.length < 1 || (phy.readUInt8(0) >> 5) !== 1) return super.receive(phy);
    // MType 001: a JoinAccept, encrypted with the AppKey (§6.2.5).
    if (!this.devNonce) return null;
    let accept;
    try {
      accept = loraPacket.fromWire(loraPacket.decryptJoinAccept(loraPacket.fromWire(phy), this.appKey));
    } catch {
      return null;
    }
    if (!loraPacket.verifyMIC(accept, undefined, this.appKey) || !accept.AppNonce || !accept.NetID || !accept.DevAddr) return null;
    const keys = loraPacket.generateSessionKeys(this.appKey, accept.NetID, accept.AppNonce, this.devNonce);
    this.devAddr = Buffer.from(accept.DevAddr);
    this.nwkSKey = keys.NwkSKey;
    this.appSKey = keys.AppSKey;
    this.fcntUp = 0;
    this.lastFcntDown = -1;
    this.devNonce = null;
    this.joined = true;
    this.joins++;
    return { fPort: 0, bytes: [], fcntDown: -1, ack: false };
  }
}

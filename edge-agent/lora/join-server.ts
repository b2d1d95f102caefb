import { randomBytes } from 'node:crypto';
import { loraPacket, type LoraFrame } from './lora-packet.ts';
import type { LoraSession, LoraSessionStore } from './lora-sessions.ts';

/** An OTAA device's root keys (LoRaWAN 1.0.x §6.2.1–6.2.3). */
export interface OtaaKeys {
  devEui: Buffer;
  /** AppEUI in 1.0.x, renamed JoinEUI in 1.0.4/1.1. */
  joinEui: Buffer;
  appKey: Buffer;
}

export type JoinVerdict =
  | { outcome: 'joined'; session: LoraSession; joinAccept: Buffer }
  | { outcome: 'join-replay' | 'mic' | 'unknown-device'; detail: string };

export interface JoinTerms {
  /** 3 bytes, MSB first; its 7 LSBs (NwkID) start every DevAddr handed out (§6.1.1). */
  netId: Buffer;
  /** RxDelay field of the JoinAccept: seconds from the uplink to RX1 (0 means 1). */
  rxDelayS: number;
  /** DLSettings (§6.2.5): RX1DRoffset and RX2 data rate; 0 = region defaults. */
  dlSettings: number;
  /** Whether a DevAddr is already in use on this gateway. */
  addrTaken: (addr: string) => boolean;
  now: number;
}

/**
 * Answers one JoinRequest (§6.2.4–6.2.5): the MIC is checked with the device's
 * AppKey, a DevNonce used before is refused, then a fresh AppNonce and DevAddr
 * give the session keys — NwkSKey = aes128(AppKey, 0x01|AppNonce|NetID|DevNonce|pad),
 * AppSKey the same with 0x02 — and the JoinAccept, encrypted with the AppKey
 * (aes128_decrypt, §6.2.5). The session is durable before the answer exists.
 */
export function answerJoinRequest(frame: LoraFrame, device: { deviceId: string; otaa: OtaaKeys } | undefined, store: LoraSessionStore, terms: JoinTerms): JoinVerdict {
  if (!frame.DevEUI || !frame.AppEUI || !frame.DevNonce) return { outcome: 'mic', detail: 'JoinRequest without DevEUI/AppEUI/DevNonce' };
  const devEui = frame.DevEUI.toString('hex');
  if (!device) return { outcome: 'unknown-device', detail: `JoinRequest from unknown DevEUI ${devEui}` };
  if (!frame.AppEUI.equals(device.otaa.joinEui)) return { outcome: 'unknown-device', detail: `DevEUI ${devEui} asked for JoinEUI ${frame.AppEUI.toString('hex')}, configured ${device.otaa.joinEui.toString('hex')}` };
  if (!loraPacket.verifyMIC(frame, undefined, device.otaa.appKey)) return { outcome: 'mic', detail: `JoinRequest from ${devEui} with a bad MIC (wrong AppKey or forged)` };
  const devNonce = frame.DevNonce.toString('hex');
  if (store.nonceUsed(devEui, devNonce)) return { outcome: 'join-replay', detail: `DevEUI ${devEui} reused DevNonce ${devNonce}: a replayed JoinRequest` };

  const appNonce = randomBytes(3);
  const nwkId = terms.netId.readUInt8(2) & 0x7f;
  let devAddr: Buffer;
  do {
    devAddr = randomBytes(4);
    devAddr[0] = (nwkId << 1) | (devAddr.readUInt8(0) & 0x01);
  } while (terms.addrTaken(devAddr.toString('hex')));
  const keys = loraPacket.generateSessionKeys(device.otaa.appKey, terms.netId, appNonce, frame.DevNonce);
  const session: LoraSession = { devAddr, nwkSKey: keys.NwkSKey, appSKey: keys.AppSKey };
  store.join(device.deviceId, devEui, devNonce, session, terms.now);
  const joinAccept = loraPacket.fromFields(
    { MType: 'Join Accept', AppNonce: appNonce, NetID: terms.netId, DevAddr: devAddr, DLSettings: terms.dlSettings, RxDelay: terms.rxDelayS },
    undefined, undefined, device.otaa.appKey,
  ).getPHYPayload() as Buffer;
  return { outcome: 'joined', session, joinAccept };
}

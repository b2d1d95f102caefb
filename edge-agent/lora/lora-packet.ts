import loraPacketModule from 'lora-packet';
import { fcntMsbBytes } from './frame-counter.ts';
import type { LoraSession } from './lora-sessions.ts';

// lora-packet is CommonJS: its types declare `export default`, but at run time
// `module.exports` is the API object itself (NodeNext types the import as the module).
type LoraPacketApi = typeof loraPacketModule.default;
export const loraPacket: LoraPacketApi = (loraPacketModule as unknown as { default?: LoraPacketApi }).default ?? (loraPacketModule as unknown as LoraPacketApi);

/** A parsed PHYPayload. */
export type LoraFrame = ReturnType<LoraPacketApi['fromWire']>;

export interface DataDown {
  session: LoraSession;
  fcntDown: number;
  /** Application payload; null for an empty frame (only an ACK, §4.3.1.2). */
  app: { fPort: number; bytes: number[] } | null;
  ack: boolean;
  fPending: boolean;
}

/**
 * An encrypted, signed data downlink (LoRaWAN 1.0.x §4). lora-packet signs a
 * frame only when it has an FPort, so an empty ACK-only frame gets its MIC here.
 */
export function buildDataDown(d: DataDown): Buffer {
  const fields = { MType: 'Unconfirmed Data Down', DevAddr: d.session.devAddr, FCtrl: { ADR: false, ACK: d.ack, FPending: d.fPending }, FCnt: d.fcntDown & 0xffff };
  const msb = fcntMsbBytes(d.fcntDown);
  if (d.app) {
    return loraPacket.fromFields({ ...fields, FPort: d.app.fPort, payload: Buffer.from(d.app.bytes) }, d.session.appSKey, d.session.nwkSKey, undefined, msb).getPHYPayload() as Buffer;
  }
  const frame = loraPacket.fromFields({ ...fields, payload: Buffer.alloc(0) }, undefined, d.session.nwkSKey, undefined, msb);
  const phy = Buffer.from(frame.getPHYPayload() as Buffer);
  loraPacket.calculateMIC(frame, d.session.nwkSKey, undefined, msb).copy(phy, phy.length - 4);
  return phy;
}

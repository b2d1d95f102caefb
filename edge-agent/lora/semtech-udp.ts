import { TzError } from '../../service-kit/index.ts';

// Semtech UDP packet forwarder protocol v2 (lora_gateway/packet_forwarder
// PROTOCOL.TXT): [version 2][token 2 bytes][identifier][gateway EUI 8 bytes][JSON].

export const PROTOCOL_VERSION = 2;
export const PUSH_DATA = 0x00;
export const PUSH_ACK = 0x01;
export const PULL_DATA = 0x02;
export const PULL_RESP = 0x03;
export const PULL_ACK = 0x04;
export const TX_ACK = 0x05;

/** One received packet as the forwarder reports it (PROTOCOL.TXT §4, "rxpk"). */
export interface Rxpk {
  time?: string;
  /** Concentrator µs counter at reception (32-bit, wraps). */
  tmst: number;
  freq: number;
  /** CRC status: 1 ok, -1 bad, 0 none. */
  stat?: number;
  modu?: string;
  datr: string | number;
  codr?: string;
  rssi: number;
  lsnr?: number;
  size?: number;
  /** PHYPayload, base64. */
  data: string;
}

/** A packet to transmit (PROTOCOL.TXT §6, "txpk"). */
export interface Txpk {
  imme: boolean;
  tmst?: number;
  freq: number;
  rfch: number;
  powe: number;
  modu: string;
  datr: string | number;
  codr: string;
  ipol: boolean;
  size: number;
  data: string;
}

export type UpstreamPacket =
  | { kind: 'push-data'; token: number; eui: string; rxpk: Rxpk[] }
  | { kind: 'pull-data'; token: number; eui: string }
  | { kind: 'tx-ack'; token: number; eui: string; error: string };

/** Parses what a forwarder sends us; TZ_LORA_FRAME for anything else. */
export function parseUpstream(buf: Buffer): UpstreamPacket {
  if (buf.length < 12 || buf[0] !== PROTOCOL_VERSION) throw new TzError('TZ_LORA_FRAME', `not a Semtech UDP v2 packet (${buf.length} bytes)`);
  const token = buf.readUInt16BE(1);
  const id = buf[3];
  const eui = buf.subarray(4, 12).toString('hex');
  const json = (): Record<string, unknown> => {
    if (buf.length <= 12) return {};
    try {
      const v = JSON.parse(buf.subarray(12).toString('utf8')) as unknown;
      return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
    } catch {
      throw new TzError('TZ_LORA_FRAME', `forwarder ${eui}: JSON body does not parse`);
    }
  };
  if (id === PUSH_DATA) {
    const rxpk = json().rxpk;
    return { kind: 'push-data', token, eui, rxpk: Array.isArray(rxpk) ? (rxpk as Rxpk[]) : [] };
  }
  if (id === PULL_DATA) return { kind: 'pull-data', token, eui };
  if (id === TX_ACK) {
    const ack = json().txpk_ack as { error?: unknown } | undefined;
    return { kind: 'tx-ack', token, eui, error: typeof ack?.error === 'string' ? ack.error : 'NONE' };
  }
  throw new TzError('TZ_LORA_FRAME', `forwarder ${eui}: unexpected identifier 0x${(id ?? 0).toString(16)}`);
}

const header = (token: number, id: number): Buffer => Buffer.from([PROTOCOL_VERSION, (token >> 8) & 0xff, token & 0xff, id]);
export const encodePushAck = (token: number): Buffer => header(token, PUSH_ACK);
export const encodePullAck = (token: number): Buffer => header(token, PULL_ACK);
export const encodePullResp = (token: number, txpk: Txpk): Buffer => Buffer.concat([header(token, PULL_RESP), Buffer.from(JSON.stringify({ txpk }))]);

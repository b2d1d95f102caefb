// The LoRa water meter's firmware side of device-profiles/codecs/water-meter.js:
// 10 bytes on fPort 2 (see the codec for the layout).
export const WATER_METER_FPORT = 2;

export interface WaterMeterState {
  volumeM3: number;
  flowM3h: number;
  pressureMpa: number;
  valveOpen: boolean;
  reverseFlow: boolean;
  batteryPct: number;
}

export function encodeWaterMeterUplink(s: WaterMeterState): Buffer {
  const b = Buffer.alloc(10);
  b.writeUInt32BE(Math.round(s.volumeM3 * 1000) >>> 0, 0);
  b.writeInt16BE(Math.round(s.flowM3h * 100), 4);
  b.writeUInt16BE(Math.round(s.pressureMpa * 1000), 6);
  b[8] = (s.valveOpen ? 1 : 0) | (s.reverseFlow ? 2 : 0);
  b[9] = Math.round(s.batteryPct * 2);
  return b;
}

/** A set_valve downlink (fPort 10: [0x01, open]) applied to the meter; false if it is not one. */
export function applyWaterMeterDownlink(s: WaterMeterState, fPort: number, bytes: number[]): boolean {
  if (fPort !== 10 || bytes[0] !== 0x01 || bytes.length !== 2) return false;
  s.valveOpen = bytes[1] === 1;
  return true;
}

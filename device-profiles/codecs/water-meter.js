// LoRaWAN codec of the smart water meter (TTN v3 / ChirpStack v4 signature).
// Runs in the Tianzhong codec sandbox: plain ES2020, no I/O.
//
// Uplink, fPort 2, 10 bytes, big-endian:
//   0..3  volume, litres (uint32)          -> volume_m3
//   4..5  flow, 0.01 m3/h (int16)           -> flow_m3h
//   6..7  pressure, kPa (uint16)            -> pressure_mpa
//   8     flags: bit0 valve open, bit1 reverse flow
//   9     battery, 0.5 % steps (uint8)      -> battery_pct
// Downlink, fPort 10: [0x01, open ? 1 : 0]  set_valve

function decodeUplink(input) {
  var b = input.bytes;
  if (input.fPort !== 2) return { errors: ['unknown fPort ' + input.fPort], warnings: [] };
  if (b.length !== 10) return { errors: ['expected 10 bytes, got ' + b.length], warnings: [] };
  var volumeL = ((b[0] << 24) >>> 0) + (b[1] << 16) + (b[2] << 8) + b[3];
  var flow = (b[4] << 8) | b[5];
  if (flow & 0x8000) flow -= 0x10000;
  var warnings = [];
  var battery = b[9] / 2;
  if (battery > 100) { warnings.push('battery above 100 %, clamped'); battery = 100; }
  return {
    data: {
      volume_m3: volumeL / 1000,
      flow_m3h: flow / 100,
      pressure_mpa: ((b[6] << 8) | b[7]) / 1000,
      valve_open: (b[8] & 1) === 1,
      reverse_flow: (b[8] & 2) === 2,
      battery_pct: battery,
    },
    errors: [],
    warnings: warnings,
  };
}

function encodeDownlink(input) {
  if (typeof input.data.open !== 'boolean') return { errors: ['set_valve needs open: boolean'] };
  return { bytes: [0x01, input.data.open ? 1 : 0], fPort: 10, errors: [], warnings: [] };
}

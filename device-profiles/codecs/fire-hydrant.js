// Codecs of the smart fire hydrant (智能消火栓): LoRaWAN (TTN v3 / ChirpStack
// v4 `decodeUplink`) and JSON (`decodeJson`, for hydrants on NB-IoT/4G that
// connect by themselves). Runs in the Tianzhong codec sandbox: plain ES2020, no I/O.
//
// LoRa uplink, fPort 3, 12 bytes, big-endian:
//   0..1   outlet pressure, kPa (uint16)          -> pressure_mpa
//   2      flags: bit0 valve open, bit1 opened with an authorised (dispatch) key,
//                 bit2 tampered (cap or bolt), bit3 knocked over
//   3..4   tilt, 0.1 degree (uint16)               -> tilt_deg
//   5..6   flow, 0.1 m3/h (uint16)                 -> flow_m3h
//   7..10  water drawn, litres (uint32)            -> water_drawn_m3
//   11     battery, 0.5 % steps (uint8)            -> battery_pct
//
// JSON (the vendor's firmware):
//   { "ts": "2026-12-03T08:00:00Z" | 1733212800000, "msgId": "a1b2",
//     "pressure": 0.32, "valve": "open"|"closed", "auth": false, "tamper": false,
//     "tilt": 1.5, "fallen": false, "flow": 0, "drawn": 12.5, "bat": 88 }

function decodeUplink(input) {
  var b = input.bytes;
  if (input.fPort !== 3) return { errors: ['unknown fPort ' + input.fPort], warnings: [] };
  if (b.length !== 12) return { errors: ['expected 12 bytes, got ' + b.length], warnings: [] };
  var drawnL = ((b[7] << 24) >>> 0) + (b[8] << 16) + (b[9] << 8) + b[10];
  return {
    data: {
      pressure_mpa: ((b[0] << 8) | b[1]) / 1000,
      valve_open: (b[2] & 1) === 1,
      authorized: (b[2] & 2) === 2,
      tampered: (b[2] & 4) === 4,
      knocked_over: (b[2] & 8) === 8,
      tilt_deg: ((b[3] << 8) | b[4]) / 10,
      flow_m3h: ((b[5] << 8) | b[6]) / 10,
      water_drawn_m3: drawnL / 1000,
      battery_pct: Math.min(100, b[11] / 2),
    },
    errors: [],
    warnings: [],
  };
}

function decodeJson(input) {
  var p = input.payload;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return { errors: ['expected a JSON object'] };
  var data = {};
  var errors = [];
  function num(key, metric, scale) {
    if (p[key] === undefined) return;
    if (typeof p[key] !== 'number') { errors.push(key + ' must be a number'); return; }
    data[metric] = p[key] * (scale || 1);
  }
  function bool(key, metric) {
    if (p[key] === undefined) return;
    if (typeof p[key] !== 'boolean') { errors.push(key + ' must be true or false'); return; }
    data[metric] = p[key];
  }
  num('pressure', 'pressure_mpa');
  num('tilt', 'tilt_deg');
  num('flow', 'flow_m3h');
  num('drawn', 'water_drawn_m3');
  num('bat', 'battery_pct');
  bool('auth', 'authorized');
  bool('tamper', 'tampered');
  bool('fallen', 'knocked_over');
  if (p.valve !== undefined) {
    if (p.valve !== 'open' && p.valve !== 'closed') errors.push('valve must be "open" or "closed"');
    else data.valve_open = p.valve === 'open';
  }
  return { data: data, errors: errors, warnings: [], time: p.ts, messageId: p.msgId };
}

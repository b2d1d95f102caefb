// CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF), Modbus over Serial Line
// v1.02 §6.2.2; sent low byte first.
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

export function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  // `& 0xff` keeps the index inside the table's 256 entries: the `?? 0` is never taken.
  for (const b of bytes) crc = (crc >>> 8) ^ (TABLE[(crc ^ b) & 0xff] ?? 0);
  return crc;
}

/**
 * Rebuilds the 32-bit FCntUp from the 16 bits on air (LoRaWAN 1.0.x §4.3.1.5):
 * the upper bits are the gateway's, kept per device. Returns the candidate
 * and how it relates to the last accepted counter.
 */
export function rebuildFcnt(last: number, fcnt16: number, maxGap: number): { fcnt: number; verdict: 'new' | 'same' | 'too-far' } {
  if (last < 0) return { fcnt: fcnt16, verdict: 'new' };
  let fcnt = (Math.floor(last / 0x10000) * 0x10000) + fcnt16;
  if (fcnt < last) fcnt += 0x10000; // the 16 bits rolled over
  if (fcnt === last) return { fcnt, verdict: 'same' };
  // A counter that went back reads as almost 2^16 ahead: a replay of an old frame or a device reset.
  return { fcnt, verdict: fcnt - last > maxGap ? 'too-far' : 'new' };
}

/** The upper 16 bits of a 32-bit frame counter as lora-packet wants them (little-endian). */
export function fcntMsbBytes(fcnt: number): Buffer {
  const hi = Math.floor(fcnt / 0x10000) & 0xffff;
  return Buffer.from([hi & 0xff, hi >> 8]);
}

// The installable crew app's icons, drawn in code so they can be regenerated
// (`npx tsx dashboards/console/app-icons.ts`): a rounded navy square with a
// white ring and a centre dot — a manhole cover seen from above. PNG for
// launchers that want bitmaps (192 and 512 px), SVG for the rest.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { CONSOLE_STATIC_DIR } from './routes.ts';

type Rgb = readonly [number, number, number];
const NAVY: Rgb = [0x14, 0x32, 0x4f];
const WHITE: Rgb = [0xff, 0xff, 0xff];
const BLUE: Rgb = [0x6c, 0xb4, 0xff];

/** Colour and coverage (0..1) of the icon at (x, y) in a unit square. */
function paint(x: number, y: number): { rgb: Rgb; alpha: number } {
  const r = 0.18;
  const qx = Math.max(Math.abs(x - 0.5) - (0.5 - r), 0);
  const qy = Math.max(Math.abs(y - 0.5) - (0.5 - r), 0);
  if (Math.hypot(qx, qy) > r) return { rgb: NAVY, alpha: 0 };
  const d = Math.hypot(x - 0.5, y - 0.5);
  if (d < 0.09) return { rgb: BLUE, alpha: 1 };
  if (d > 0.27 && d < 0.34) return { rgb: WHITE, alpha: 1 };
  if (d <= 0.27 && Math.abs(((Math.atan2(y - 0.5, x - 0.5) + Math.PI) * 4) / Math.PI % 1 - 0.5) < 0.08 && d > 0.12) return { rgb: WHITE, alpha: 1 };
  return { rgb: NAVY, alpha: 1 };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  // `& 0xff` keeps the index inside the table's 256 entries: the `?? 0` is never taken.
  for (const b of buf) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

export function iconPng(size: number): Buffer {
  const rows: Buffer[] = [];
  const S = 3; // 3×3 supersampling for smooth edges
  for (let py = 0; py < size; py += 1) {
    const row = Buffer.alloc(1 + size * 4);
    for (let px = 0; px < size; px += 1) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < S; sy += 1) for (let sx = 0; sx < S; sx += 1) {
        const p = paint((px + (sx + 0.5) / S) / size, (py + (sy + 0.5) / S) / size);
        const [pr, pg, pb] = p.rgb;
        r += pr * p.alpha; g += pg * p.alpha; b += pb * p.alpha; a += p.alpha;
      }
      const o = 1 + px * 4;
      row[o] = a ? Math.round(r / a) : 0; row[o + 1] = a ? Math.round(g / a) : 0; row[o + 2] = a ? Math.round(b / a) : 0;
      row[o + 3] = Math.round((a / (S * S)) * 255);
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">
  <rect width="100" height="100" rx="18" fill="#14324f"/>
  <circle cx="50" cy="50" r="30.5" fill="none" stroke="#fff" stroke-width="7"/>
  <g stroke="#fff" stroke-width="3">${[0, 45, 90, 135].map((deg) => `<line x1="${50 + 12 * Math.cos((deg * Math.PI) / 180)}" y1="${50 + 12 * Math.sin((deg * Math.PI) / 180)}" x2="${50 + 27 * Math.cos((deg * Math.PI) / 180)}" y2="${50 + 27 * Math.sin((deg * Math.PI) / 180)}"/><line x1="${50 - 12 * Math.cos((deg * Math.PI) / 180)}" y1="${50 - 12 * Math.sin((deg * Math.PI) / 180)}" x2="${50 - 27 * Math.cos((deg * Math.PI) / 180)}" y2="${50 - 27 * Math.sin((deg * Math.PI) / 180)}"/>`).join('')}</g>
  <circle cx="50" cy="50" r="9" fill="#6cb4ff"/>
</svg>
`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = join(CONSOLE_STATIC_DIR, 'icons');
  writeFileSync(join(dir, 'icon.svg'), ICON_SVG);
  for (const size of [192, 512]) writeFileSync(join(dir, `icon-${size}.png`), iconPng(size));
}

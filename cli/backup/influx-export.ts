import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createInfluxDatabase, influxAuthHeaders, queryInfluxQL, quoteIdentifier, TzError, type InfluxTarget } from '../../service-kit/index.ts';
import type { BackupProgress } from './progress.ts';

// The fallback for an InfluxDB we cannot reach over RPC (a remote INFLUX_URL,
// 2.x/3.x through their v1 API): the database's points read with InfluxQL and
// written as line protocol, millisecond precision, read back through /write.
// Covers the points of the database's default retention policy only: not
// other retention policies (downsampled rollups), continuous queries, users,
// or sub-millisecond timestamps.

const PAGE = 10_000;

const escapeKey = (s: string) => s.replace(/[,= \\]/g, (c) => `\\${c}`);
const escapeMeasurement = (s: string) => s.replace(/[, \\]/g, (c) => `\\${c}`);
const escapeString = (s: string) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

function fieldValue(value: unknown, type: string): string | null {
  if (value === null || value === undefined) return null;
  if (type === 'integer') return `${Math.trunc(Number(value))}i`;
  if (type === 'boolean') return value ? 'true' : 'false';
  if (type === 'string') return escapeString(String(value));
  return String(Number(value));
}

export async function exportInfluxDatabase(target: InfluxTarget, file: string, progress: BackupProgress): Promise<{ measurements: number; points: number }> {
  const out = createWriteStream(file);
  const measurements = (await queryInfluxQL(target, 'SHOW MEASUREMENTS')).flatMap((s) => s.values.map((v) => String(v[0])));
  progress.step(`influxdb export ${target.database}`, measurements.length);
  let points = 0;
  let done = 0;
  for (const m of measurements) {
    const q = quoteIdentifier(m);
    const tags = new Set((await queryInfluxQL(target, `SHOW TAG KEYS FROM ${q}`)).flatMap((s) => s.values.map((v) => String(v[0]))));
    const fieldTypes = new Map((await queryInfluxQL(target, `SHOW FIELD KEYS FROM ${q}`)).flatMap((s) => s.values.map((v) => [String(v[0]), String(v[1])] as const)));
    for (let offset = 0; ; offset += PAGE) {
      const series = await queryInfluxQL(target, `SELECT * FROM ${q} LIMIT ${PAGE} OFFSET ${offset}`);
      const rows = series.flatMap((s) => s.values.map((v) => ({ columns: s.columns, v })));
      for (const { columns, v } of rows) {
        const tagPart: string[] = [];
        const fieldPart: string[] = [];
        let time = 0;
        columns.forEach((c, i) => {
          if (c === 'time') time = Number(v[i]);
          else if (tags.has(c)) { if (v[i] !== null && v[i] !== '') tagPart.push(`${escapeKey(c)}=${escapeKey(String(v[i]))}`); }
          else {
            const type = fieldTypes.get(c);
            if (type === undefined) return;
            const f = fieldValue(v[i], type);
            if (f !== null) fieldPart.push(`${escapeKey(c)}=${f}`);
          }
        });
        if (fieldPart.length === 0) continue;
        if (!out.write(`${escapeMeasurement(m)}${tagPart.length ? `,${tagPart.sort().join(',')}` : ''} ${fieldPart.join(',')} ${time}\n`)) await once(out, 'drain');
        points += 1;
      }
      if (rows.length < PAGE) break;
    }
    progress.update(++done);
  }
  out.end();
  await once(out, 'finish');
  return { measurements: measurements.length, points };
}

export async function importInfluxDatabase(target: InfluxTarget, file: string, progress: BackupProgress): Promise<number> {
  await createInfluxDatabase(target);
  const params = new URLSearchParams({ db: target.database, precision: 'ms' });
  if (target.retentionPolicy) params.set('rp', target.retentionPolicy);
  const send = async (lines: string[]): Promise<void> => {
    const res = await fetch(`${target.url.replace(/\/$/, '')}/write?${params}`, { method: 'POST', headers: influxAuthHeaders(target), body: lines.join('\n') });
    if (res.status !== 204) throw new TzError('TZ_INFLUX_WRITE', `restoring ${target.database}: /write answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  };
  progress.step(`influxdb import ${target.database}`, 0);
  let batch: string[] = [];
  let written = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (!line) continue;
    batch.push(line);
    if (batch.length >= 5000) {
      await send(batch);
      written += batch.length;
      progress.update(written);
      batch = [];
    }
  }
  if (batch.length) await send(batch);
  return written + batch.length;
}

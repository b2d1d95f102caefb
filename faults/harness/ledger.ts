import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { decodeUplinkBatch } from '../../proto/index.ts';
import { queryInfluxQL, type InfluxTarget } from '../../ingest/index.ts';
import type { TappedReading } from './mqtt-tap.ts';

// Sent versus stored, by (device, seq). The gateway numbers each device's
// readings 1, 2, 3, … (persisted across restarts), so for every device the
// readings sent are seq 1..max; a seq neither in InfluxDB nor in the
// dead-letter store is lost. InfluxDB overwrites a point with the same series
// and time, so a replayed reading collapses into one point; a seq stored at two
// different times is a real duplicate (or a seq counter that went back).

export interface StoredReading {
  deviceId: string;
  seq: number;
  timestampMs: number;
}

export interface Ledger {
  devices: number;
  /** Readings the gateways produced: Σ over devices of the highest seq seen anywhere. */
  sent: number;
  /** Distinct (device, seq) in InfluxDB. */
  stored: number;
  /** Points in InfluxDB beyond one per (device, seq). */
  duplicates: number;
  /** Distinct (device, seq) in the dead-letter store (refused with a reason). */
  deadLettered: number;
  deadLetterReasons: Record<string, number>;
  /** sent − stored − deadLettered (readings nobody can account for). */
  lost: number;
  /** Readings published more than once on the wire (resent after a fault; collapsed by the idempotent write). */
  resent: number;
  /** Same (device, seq) published with different timestamps: the seq counter went back (e.g. after a restart). */
  seqReused: number;
  /** A few missing (device, seq) for the report. */
  missingSample: string[];
}

/** Every point's (device, seq, time) in the database, across measurements. */
export async function storedReadings(target: InfluxTarget, gatewayId?: string): Promise<StoredReading[]> {
  const where = gatewayId ? ` WHERE "gateway" = '${gatewayId.replace(/'/g, "\\'")}'` : '';
  const series = await queryInfluxQL(target, `SELECT "seq", "device" FROM /.*/${where}`).catch((err: Error) => {
    if (/database not found/.test(err.message)) return [];
    throw err;
  });
  const out: StoredReading[] = [];
  for (const s of series) {
    const iTime = s.columns.indexOf('time');
    const iSeq = s.columns.indexOf('seq');
    const iDevice = s.columns.indexOf('device');
    for (const row of s.values ?? []) out.push({ deviceId: String(row[iDevice]), seq: Number(row[iSeq]), timestampMs: Number(row[iTime]) });
  }
  return out;
}

export interface DeadLetteredReading {
  deviceId: string;
  seq: number;
  reason: string;
}

/** Readings in ingest's dead-letter SQLite file (read-only), decoded from the kept payloads. */
export function deadLetteredReadings(path: string): DeadLetteredReading[] {
  if (!existsSync(path)) return [];
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT reason, device_id, payload FROM dead_letters').all() as Array<{ reason: string; device_id: string | null; payload: Buffer }>;
    const out: DeadLetteredReading[] = [];
    for (const row of rows) {
      try {
        for (const r of decodeUplinkBatch(row.payload).readings) out.push({ deviceId: r.deviceId ?? '', seq: Number(r.seq), reason: row.reason });
      } catch {
        // a batch refused as malformed protobuf carries no readings we can count
      }
    }
    return out;
  } finally {
    db.close();
  }
}

export function buildLedger(sentOnWire: readonly TappedReading[], stored: readonly StoredReading[], dead: readonly DeadLetteredReading[], devices?: Iterable<string>): Ledger {
  const key = (d: string, s: number) => `${d}\u0000${s}`;
  const maxSeq = new Map<string, number>();
  const bump = (d: string, s: number) => maxSeq.set(d, Math.max(maxSeq.get(d) ?? 0, s));
  for (const d of devices ?? []) maxSeq.set(d, 0);
  const wireTimes = new Map<string, Set<number>>();
  let resent = 0;
  for (const r of sentOnWire) {
    bump(r.deviceId, r.seq);
    const k = key(r.deviceId, r.seq);
    const times = wireTimes.get(k) ?? new Set<number>();
    if (wireTimes.has(k)) resent++;
    times.add(r.timestampMs);
    wireTimes.set(k, times);
  }
  let seqReused = 0;
  for (const times of wireTimes.values()) if (times.size > 1) seqReused += times.size - 1;
  const storedKeys = new Set<string>();
  for (const r of stored) {
    bump(r.deviceId, r.seq);
    storedKeys.add(key(r.deviceId, r.seq));
  }
  const deadKeys = new Set<string>();
  const deadLetterReasons: Record<string, number> = {};
  for (const r of dead) {
    bump(r.deviceId, r.seq);
    const k = key(r.deviceId, r.seq);
    if (deadKeys.has(k)) continue;
    deadKeys.add(k);
    deadLetterReasons[r.reason] = (deadLetterReasons[r.reason] ?? 0) + 1;
  }
  let sent = 0;
  let lost = 0;
  const missingSample: string[] = [];
  for (const [device, max] of maxSeq) {
    sent += max;
    for (let s = 1; s <= max; s++) {
      const k = key(device, s);
      if (storedKeys.has(k) || deadKeys.has(k)) continue;
      lost++;
      if (missingSample.length < 8) missingSample.push(`${device}#${s}`);
    }
  }
  let deadOnly = 0;
  for (const k of deadKeys) if (!storedKeys.has(k)) deadOnly++;
  return {
    devices: maxSeq.size, sent, stored: storedKeys.size, duplicates: stored.length - storedKeys.size, deadLettered: deadOnly,
    deadLetterReasons, lost, resent, seqReused, missingSample,
  };
}

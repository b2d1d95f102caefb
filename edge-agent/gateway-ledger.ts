import { TzError } from '../service-kit/index.ts';
import type { GatewayDatabase } from './gateway-database.ts';

function prepare(db: GatewayDatabase) {
  return {
    saveDevice: db.prepare('INSERT INTO device_counters (device_id, seq, fcnt_up, fcnt_down) VALUES (?, ?, ?, ?) ON CONFLICT(device_id) DO UPDATE SET seq = excluded.seq, fcnt_up = excluded.fcnt_up, fcnt_down = excluded.fcnt_down'),
    saveFcntDown: db.prepare('INSERT INTO device_counters (device_id, seq, fcnt_up, fcnt_down) VALUES (?, 0, -1, ?) ON CONFLICT(device_id) DO UPDATE SET fcnt_down = excluded.fcnt_down'),
    setMeta: db.prepare('INSERT INTO gateway_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
    command: db.prepare('SELECT command_id AS commandId, device_id AS deviceId, state, result, reason FROM command_log WHERE command_id = ?'),
    beginCommand: db.prepare("INSERT INTO command_log (command_id, device_id, name, state, received_at) VALUES (?, ?, ?, 'executing', ?)"),
    finishCommand: db.prepare("UPDATE command_log SET state = 'done', result = ?, reason = ? WHERE command_id = ?"),
    pruneCommands: db.prepare('DELETE FROM command_log WHERE received_at < ?'),
  };
}

/** Counters one device needs across restarts. */
export interface DeviceCounters {
  /** Last Reading.seq given out (0 = none yet). */
  seq: number;
  /** Last accepted 32-bit LoRaWAN FCntUp; -1 = never heard (ABP devices start at 0). */
  fcntUp: number;
  /** Next LoRaWAN NFCntDown to use. */
  fcntDown: number;
}

export interface CommandRecord {
  commandId: string;
  deviceId: string;
  /** 'executing' = received and started; a record still 'executing' after a restart has an unknown outcome. */
  state: 'executing' | 'done';
  result: number;
  reason: string;
}

/**
 * The gateway's durable bookkeeping in the same SQLite file as the queue:
 * per-device sequence numbers and LoRaWAN frame counters, the batch counter,
 * and every command id seen. Reading seqs and FCntUp are written in the same
 * transaction as the batch that carries them (see the agent's seal), so after
 * a crash the counters match exactly what is queued: a reading that never
 * reached the queue never happened, and its seq is given out again — no gap,
 * no duplicate seq for different data.
 */
export class GatewayLedger {
  private readonly devices = new Map<string, DeviceCounters>();
  private readonly dirty = new Set<string>();
  private batchSeq: number;
  private readonly stmt: ReturnType<typeof prepare>;

  constructor(private readonly db: GatewayDatabase) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS device_counters (device_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, fcnt_up INTEGER NOT NULL, fcnt_down INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS gateway_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS command_log (command_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, name TEXT NOT NULL, state TEXT NOT NULL,
        result INTEGER NOT NULL DEFAULT 0, reason TEXT NOT NULL DEFAULT '', received_at INTEGER NOT NULL);
    `);
    this.stmt = prepare(db);
    for (const r of db.prepare('SELECT device_id, seq, fcnt_up, fcnt_down FROM device_counters').all() as { device_id: string; seq: number; fcnt_up: number; fcnt_down: number }[]) {
      this.devices.set(r.device_id, { seq: r.seq, fcntUp: r.fcnt_up, fcntDown: r.fcnt_down });
    }
    this.batchSeq = (db.prepare("SELECT value FROM gateway_meta WHERE key = 'batch_seq'").get() as { value: number } | undefined)?.value ?? 0;
  }

  counters(deviceId: string): Readonly<DeviceCounters> {
    return this.entry(deviceId);
  }

  /** The next Reading.seq of a device (durable with the batch that carries it). */
  nextSeq(deviceId: string): number {
    const c = this.entry(deviceId);
    this.dirty.add(deviceId);
    return ++c.seq;
  }

  /** Records an accepted uplink's 32-bit frame counter (durable with the batch). */
  acceptFcntUp(deviceId: string, fcnt: number): void {
    this.entry(deviceId).fcntUp = fcnt;
    this.dirty.add(deviceId);
  }

  /** Takes a downlink frame counter, durably before the frame is sent: reusing one makes the device drop the frame. */
  takeFcntDown(deviceId: string): number {
    const c = this.entry(deviceId);
    const fcnt = c.fcntDown++;
    this.stmt.saveFcntDown.run(deviceId, c.fcntDown);
    return fcnt;
  }

  /** A LoRaWAN OTAA join starts a new session: FCntUp and NFCntDown begin again at 0 (§6.2.5); written now. */
  restartFrameCounters(deviceId: string): void {
    const c = this.entry(deviceId);
    c.fcntUp = -1;
    c.fcntDown = 0;
    this.stmt.saveDevice.run(deviceId, c.seq, c.fcntUp, c.fcntDown);
  }

  nextBatchSeq(): number {
    return ++this.batchSeq;
  }

  /** Writes changed counters; call inside the queue append transaction. */
  saveDirty(): void {
    for (const id of this.dirty) {
      const c = this.devices.get(id);
      // Only counters held in `devices` are marked dirty.
      if (!c) throw new TzError('TZ_INTERNAL', `gateway ledger: device ${id} is dirty but has no counters`);
      this.stmt.saveDevice.run(id, c.seq, c.fcntUp, c.fcntDown);
    }
    this.stmt.setMeta.run('batch_seq', this.batchSeq);
    this.dirty.clear();
  }

  command(commandId: string): CommandRecord | undefined {
    return this.stmt.command.get(commandId) as CommandRecord | undefined;
  }

  /** Durable before the command runs: a redelivered id is then never executed again. */
  beginCommand(commandId: string, deviceId: string, name: string, now: number): void {
    this.stmt.beginCommand.run(commandId, deviceId, name, now);
  }

  finishCommand(commandId: string, result: number, reason: string): void {
    this.stmt.finishCommand.run(result, reason, commandId);
  }

  /** Forgets command ids older than the cloud could still redeliver. */
  pruneCommands(before: number): number {
    return this.stmt.pruneCommands.run(before).changes;
  }

  private entry(deviceId: string): DeviceCounters {
    let c = this.devices.get(deviceId);
    if (!c) {
      c = { seq: 0, fcntUp: -1, fcntDown: 0 };
      this.devices.set(deviceId, c);
    }
    return c;
  }
}

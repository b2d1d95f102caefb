import type Database from 'better-sqlite3';

// History of every command sent from the centre: who, when, what, and how it
// ended. One row per command id; the row is written BEFORE the command is
// published, so a crash between the two leaves a "sent" row that times out
// (never a command that went out without a trace).

/** sent → acked (gateway answered OK) | failed (REJECTED/FAILED, or publish failed) | timeout (gateway TIMED_OUT, or no answer in time). */
export type CommandState = 'sent' | 'acked' | 'failed' | 'timeout';

export interface CommandRecord {
  commandId: string;
  deviceId: string;
  gatewayId: string;
  name: string;
  params: Record<string, number | boolean>;
  /** Token name of the operator, or `rule:<ruleId>` for a rule's command. */
  requestedBy: string;
  requestedAt: number;
  expiresAt: number;
  state: CommandState;
  /** Gateway result (ok, rejected, failed, timed-out) or the centre's (no-answer, publish-failed); null while sent. */
  result: string | null;
  /** The gateway's reason or detail (e.g. "written: holding 0"). */
  detail: string | null;
  answeredAt: number | null;
}

interface Row {
  command_id: string; device_id: string; gateway_id: string; name: string; params: string; requested_by: string;
  requested_at: number; expires_at: number; state: CommandState; result: string | null; detail: string | null; answered_at: number | null;
}

const toRecord = (r: Row): CommandRecord => ({
  commandId: r.command_id, deviceId: r.device_id, gatewayId: r.gateway_id, name: r.name, params: JSON.parse(r.params) as Record<string, number | boolean>,
  requestedBy: r.requested_by, requestedAt: r.requested_at, expiresAt: r.expires_at, state: r.state, result: r.result, detail: r.detail, answeredAt: r.answered_at,
});

export class CommandLog {
  private readonly insertRow;
  private readonly byId;
  private readonly byOrigin;
  private readonly finishRow;
  private readonly forDevice;
  private readonly overdue;

  constructor(db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS device_commands (
      command_id TEXT PRIMARY KEY,
      device_id TEXT NOT NULL,
      gateway_id TEXT NOT NULL,
      name TEXT NOT NULL,
      params TEXT NOT NULL,
      requested_by TEXT NOT NULL,
      requested_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      state TEXT NOT NULL,
      result TEXT,
      detail TEXT,
      answered_at INTEGER,
      origin_key TEXT UNIQUE
    );
    CREATE INDEX IF NOT EXISTS device_commands_device ON device_commands (device_id, requested_at);
    CREATE INDEX IF NOT EXISTS device_commands_open ON device_commands (state, expires_at);`);
    this.insertRow = db.prepare('INSERT INTO device_commands (command_id, device_id, gateway_id, name, params, requested_by, requested_at, expires_at, state, origin_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, \'sent\', ?)');
    this.byId = db.prepare<[string], Row>('SELECT * FROM device_commands WHERE command_id = ?');
    this.byOrigin = db.prepare<[string], Row>('SELECT * FROM device_commands WHERE origin_key = ?');
    // Only a command still "sent" can end: a late or repeated ack does not overwrite the outcome.
    this.finishRow = db.prepare("UPDATE device_commands SET state = ?, result = ?, detail = ?, answered_at = ? WHERE command_id = ? AND state = 'sent'");
    this.forDevice = db.prepare<[string, number], Row>('SELECT * FROM device_commands WHERE device_id = ? ORDER BY requested_at DESC, rowid DESC LIMIT ?');
    this.overdue = db.prepare<[number], Row>("SELECT * FROM device_commands WHERE state = 'sent' AND expires_at < ? ORDER BY expires_at");
  }

  add(r: Omit<CommandRecord, 'state' | 'result' | 'detail' | 'answeredAt'>, originKey: string | null): void {
    this.insertRow.run(r.commandId, r.deviceId, r.gatewayId, r.name, JSON.stringify(r.params), r.requestedBy, r.requestedAt, r.expiresAt, originKey);
  }

  get(commandId: string): CommandRecord | undefined {
    const row = this.byId.get(commandId);
    return row ? toRecord(row) : undefined;
  }

  byOriginKey(key: string): CommandRecord | undefined {
    const row = this.byOrigin.get(key);
    return row ? toRecord(row) : undefined;
  }

  /** True when the command was still open (this call decided its outcome). */
  finish(commandId: string, state: Exclude<CommandState, 'sent'>, result: string, detail: string, at: number): boolean {
    return this.finishRow.run(state, result, detail, at, commandId).changes > 0;
  }

  history(deviceId: string, limit: number): CommandRecord[] {
    return this.forDevice.all(deviceId, limit).map(toRecord);
  }

  /** Open commands whose answer is later than `before`. */
  openBefore(before: number): CommandRecord[] {
    return this.overdue.all(before).map(toRecord);
  }
}

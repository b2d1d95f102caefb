import type Database from 'better-sqlite3';

// Per gateway: the config the centre wants it to run (desired version and
// hash) and what the gateway last said (applied / refused version). Kept in
// the registry's SQLite database so versions keep increasing across restarts
// of the centre (a gateway ignores a version not above the one it runs).

export interface GatewayConfigRecord {
  gatewayId: string;
  desiredVersion: number;
  contentHash: string;
  devices: number;
  pushedAt: number;
  reason: string;
  appliedVersion: number;
  refusedVersion: number;
  refusedReason: string;
  /** Last status heard from the gateway, ms; 0 = never. */
  reportedAt: number;
}

interface Row {
  gateway_id: string; desired_version: number; content_hash: string; devices: number; pushed_at: number; reason: string;
  applied_version: number; refused_version: number; refused_reason: string; reported_at: number;
}

const toRecord = (r: Row): GatewayConfigRecord => ({
  gatewayId: r.gateway_id, desiredVersion: r.desired_version, contentHash: r.content_hash, devices: r.devices, pushedAt: r.pushed_at, reason: r.reason,
  appliedVersion: r.applied_version, refusedVersion: r.refused_version, refusedReason: r.refused_reason, reportedAt: r.reported_at,
});

export class GatewayConfigLedger {
  private readonly byId;
  private readonly upsertDesired;
  private readonly updateReport;
  private readonly allRows;

  constructor(db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS gateway_config_versions (
      gateway_id TEXT PRIMARY KEY,
      desired_version INTEGER NOT NULL,
      content_hash TEXT NOT NULL,
      devices INTEGER NOT NULL,
      pushed_at INTEGER NOT NULL,
      reason TEXT NOT NULL DEFAULT '',
      applied_version INTEGER NOT NULL DEFAULT 0,
      refused_version INTEGER NOT NULL DEFAULT 0,
      refused_reason TEXT NOT NULL DEFAULT '',
      reported_at INTEGER NOT NULL DEFAULT 0
    )`);
    this.byId = db.prepare<[string], Row>('SELECT * FROM gateway_config_versions WHERE gateway_id = ?');
    this.upsertDesired = db.prepare(`INSERT INTO gateway_config_versions (gateway_id, desired_version, content_hash, devices, pushed_at, reason) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (gateway_id) DO UPDATE SET desired_version = excluded.desired_version, content_hash = excluded.content_hash, devices = excluded.devices, pushed_at = excluded.pushed_at, reason = excluded.reason`);
    this.updateReport = db.prepare('UPDATE gateway_config_versions SET applied_version = ?, refused_version = ?, refused_reason = ?, reported_at = ? WHERE gateway_id = ?');
    this.allRows = db.prepare<[], Row>('SELECT * FROM gateway_config_versions ORDER BY gateway_id');
  }

  get(gatewayId: string): GatewayConfigRecord | undefined {
    const row = this.byId.get(gatewayId);
    return row ? toRecord(row) : undefined;
  }

  all(): GatewayConfigRecord[] {
    return this.allRows.all().map(toRecord);
  }

  desired(gatewayId: string, version: number, contentHash: string, devices: number, at: number, reason: string): void {
    this.upsertDesired.run(gatewayId, version, contentHash, devices, at, reason);
  }

  reported(gatewayId: string, applied: number, refused: number, refusedReason: string, at: number): void {
    this.updateReport.run(applied, refused, refusedReason, at, gatewayId);
  }
}

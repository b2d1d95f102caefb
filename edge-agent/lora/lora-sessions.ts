import type { GatewayDatabase } from '../gateway-database.ts';
import type { GatewayLedger } from '../gateway-ledger.ts';

/** The session an OTAA join produced (LoRaWAN 1.0.x §6.2.5): DevAddr and the two session keys. */
export interface LoraSession {
  devAddr: Buffer;
  nwkSKey: Buffer;
  appSKey: Buffer;
}

/**
 * OTAA sessions and used DevNonces, durable in the gateway's SQLite file next
 * to the frame counters. A restart keeps every joined device's session (its
 * counters are in the ledger), so devices need not rejoin; and a DevNonce once
 * used is refused forever for that DevEUI (§6.2.4: "the network server keeps
 * track of a certain number of DevNonce values used by the end-device in the
 * past, and ignores join requests with any of these DevNonce values").
 *
 * Session keys cannot be hashed at rest: the agent needs them to check MICs and
 * decrypt. They stay in the gateway's own data folder, as ABP keys stay in its config.
 */
export class LoraSessionStore {
  private readonly stmt;

  constructor(private readonly db: GatewayDatabase, private readonly ledger: GatewayLedger) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS lora_sessions (device_id TEXT PRIMARY KEY, dev_eui TEXT NOT NULL, dev_addr TEXT NOT NULL, nwk_skey TEXT NOT NULL, app_skey TEXT NOT NULL, joined_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS lora_dev_nonces (dev_eui TEXT NOT NULL, dev_nonce TEXT NOT NULL, used_at INTEGER NOT NULL, PRIMARY KEY (dev_eui, dev_nonce));
    `);
    this.stmt = {
      session: db.prepare('SELECT dev_eui AS devEui, dev_addr AS devAddr, nwk_skey AS nwkSKey, app_skey AS appSKey FROM lora_sessions WHERE device_id = ?'),
      nonceUsed: db.prepare('SELECT 1 FROM lora_dev_nonces WHERE dev_eui = ? AND dev_nonce = ?'),
      useNonce: db.prepare('INSERT OR IGNORE INTO lora_dev_nonces (dev_eui, dev_nonce, used_at) VALUES (?, ?, ?)'),
      save: db.prepare('INSERT INTO lora_sessions (device_id, dev_eui, dev_addr, nwk_skey, app_skey, joined_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(device_id) DO UPDATE SET dev_eui = excluded.dev_eui, dev_addr = excluded.dev_addr, nwk_skey = excluded.nwk_skey, app_skey = excluded.app_skey, joined_at = excluded.joined_at'),
    };
  }

  /** The stored session of a device, if it joined with this DevEUI before. */
  session(deviceId: string, devEui: string): LoraSession | null {
    const row = this.stmt.session.get(deviceId) as { devEui: string; devAddr: string; nwkSKey: string; appSKey: string } | undefined;
    if (!row || row.devEui !== devEui.toLowerCase()) return null;
    return { devAddr: Buffer.from(row.devAddr, 'hex'), nwkSKey: Buffer.from(row.nwkSKey, 'hex'), appSKey: Buffer.from(row.appSKey, 'hex') };
  }

  nonceUsed(devEui: string, devNonce: string): boolean {
    return this.stmt.nonceUsed.get(devEui.toLowerCase(), devNonce.toLowerCase()) !== undefined;
  }

  /**
   * Records a join in one transaction: the DevNonce as used, the new session,
   * and the frame counters restarted at 0 (§6.2.5: both counters reset on a
   * join). Durable before the JoinAccept leaves, so a crash cannot hand out a
   * session the gateway then forgets.
   */
  join(deviceId: string, devEui: string, devNonce: string, session: LoraSession, now: number): void {
    this.db.transaction(() => {
      this.stmt.useNonce.run(devEui.toLowerCase(), devNonce.toLowerCase(), now);
      this.stmt.save.run(deviceId, devEui.toLowerCase(), session.devAddr.toString('hex'), session.nwkSKey.toString('hex'), session.appSKey.toString('hex'), now);
      this.ledger.restartFrameCounters(deviceId);
    })();
  }
}

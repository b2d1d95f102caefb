import type Database from 'better-sqlite3';
import type { CaseTx, OutboxCounts } from './case-store.ts';
import type { NewOutboxMessage } from './model.ts';
import { outboxOf, subscriptionOf, type OutboxRow, type SubscriptionRow } from './case-rows.ts';

// The SQLite case store's notification outbox and alert subscriptions: the
// part of a case transaction that queues, delivers and retries messages
// (at-least-once; a delivery id is the outbox row's id, stable across retries).

export type OutboxTx = Pick<CaseTx, 'enqueue' | 'enqueueOnce' | 'putSubscription' | 'getSubscription' | 'listSubscriptions' | 'deleteSubscription' | 'dueOutbox' | 'markDelivered' | 'markFailed' | 'retryOutbox' | 'listOutbox' | 'outboxCounts' | 'nextOutboxDue'>;

export function outboxTx(db: Database.Database): OutboxTx {
  const outboxById = db.prepare<[number], OutboxRow>('SELECT * FROM case_outbox WHERE id = ?');
  const insertOutbox = db.prepare('INSERT INTO case_outbox (case_id, channel, target, payload, state, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, \'pending\', 0, ?, ?)');
  /** A row this transaction just wrote. */
  const outboxRow = (id: number): OutboxRow => {
    const row = outboxById.get(id);
    if (row === undefined) throw new Error(`outbox row ${id} vanished inside its own transaction`);
    return row;
  };
  return {
    enqueue: async (caseId, m: NewOutboxMessage, at) => {
      const info = insertOutbox.run(caseId, m.channel, m.target, m.payload, at, at);
      return outboxOf(outboxRow(Number(info.lastInsertRowid)));
    },
    enqueueOnce: async (caseId, m, at, o) => {
      // The unique index on dedup_key makes a second message for the same event × subscription a no-op.
      const info = db.prepare('INSERT INTO case_outbox (case_id, channel, target, payload, state, attempts, next_attempt_at, created_at, dedup_key, subscription_id) VALUES (?, ?, ?, ?, \'pending\', 0, ?, ?, ?, ?) ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING')
        .run(caseId, m.channel, m.target, m.payload, o.dueAt, at, o.dedupKey, o.subscriptionId);
      return info.changes === 1 ? outboxOf(outboxRow(Number(info.lastInsertRowid))) : null;
    },
    putSubscription: async (sub) => {
      const { id, source, createdAt, updatedAt, ...doc } = sub;
      db.prepare(`INSERT INTO alert_subscriptions (id, doc, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, source = excluded.source, updated_at = excluded.updated_at`).run(id, JSON.stringify(doc), source, createdAt, updatedAt);
    },
    getSubscription: async (id) => {
      const row = db.prepare<[string], SubscriptionRow>('SELECT * FROM alert_subscriptions WHERE id = ?').get(id);
      return row ? subscriptionOf(row) : null;
    },
    listSubscriptions: async () => db.prepare<[], SubscriptionRow>('SELECT * FROM alert_subscriptions ORDER BY id').all().map(subscriptionOf),
    deleteSubscription: async (id) => db.prepare('DELETE FROM alert_subscriptions WHERE id = ?').run(id).changes === 1,
    dueOutbox: async (now, limit) => db.prepare<[number, number], OutboxRow>("SELECT * FROM case_outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?").all(now, limit).map(outboxOf),
    markDelivered: async (id, at) => {
      db.prepare("UPDATE case_outbox SET state = 'delivered', delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?").run(at, id);
    },
    markFailed: async (id, error, nextAttemptAt, dead) => {
      db.prepare('UPDATE case_outbox SET state = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?').run(dead ? 'dead' : 'pending', error.slice(0, 500), nextAttemptAt, id);
    },
    retryOutbox: async (id, at) => db.prepare("UPDATE case_outbox SET state = 'pending', next_attempt_at = ?, attempts = 0 WHERE id = ? AND state = 'dead'").run(at, id).changes === 1,
    listOutbox: async ({ state, caseId, limit, channel }) => {
      const parts: string[] = [];
      const args: unknown[] = [];
      if (channel) { parts.push('channel = ?'); args.push(channel); }
      if (state) { parts.push('state = ?'); args.push(state); }
      if (caseId !== undefined) { parts.push('case_id = ?'); args.push(caseId); }
      return db.prepare<unknown[], OutboxRow>(`SELECT * FROM case_outbox ${parts.length ? `WHERE ${parts.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`).all(...args, limit ?? 100).map(outboxOf);
    },
    outboxCounts: async (): Promise<OutboxCounts[]> => db.prepare<[], { channel: string; state: string; n: number }>('SELECT channel, state, COUNT(*) AS n FROM case_outbox GROUP BY channel, state').all()
      .map((r) => ({ channel: r.channel as OutboxCounts['channel'], state: r.state as OutboxCounts['state'], count: r.n })),
    nextOutboxDue: async () => db.prepare<[], { t: number | null }>("SELECT MIN(next_attempt_at) AS t FROM case_outbox WHERE state = 'pending'").get()?.t ?? null,
  };
}

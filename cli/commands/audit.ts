// `tianzhong audit`: read the one audit log; and the audit log the other CLI
// commands write to (tokens issued and revoked, broker users added).
import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { CliError, fileToCreate, int } from '../command-kit.ts';
import type { AuditEntry } from '../../service-kit/index.ts';

export const DEFAULT_AUDIT_DB = 'var/audit.sqlite';

/** Who runs this CLI, as the audit log names it. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** Appends one record to the audit log file and closes it (CLI commands are short-lived). */
export async function appendAudit(file: string, entry: AuditEntry): Promise<void> {
  const { openAuditLog, openSqlite } = await import('../../service-kit/index.ts');
  const db = openSqlite(fileToCreate(file), { durability: 'full' });
  try {
    db.pragma('journal_mode = WAL');
    openAuditLog(db).append(entry);
  } finally {
    db.close();
  }
}

function epochOf(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new CliError(`${flag} must be a date-time such as 2026-12-03T08:00:00+08:00, not "${value}"`);
  return ms;
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the one audit log: logins, tokens, broker users, rules, silences, cases, commands (append-only)');
  audit
    .command('list')
    .description('audit records, newest first')
    .option('--db <file>', 'audit log SQLite file', DEFAULT_AUDIT_DB)
    .option('--actor <name>', 'only this actor')
    .option('--action <action>', 'only this action or family (token, token.issue, case …)')
    .option('--from <time>', 'from this ISO date-time (inclusive)')
    .option('--to <time>', 'to this ISO date-time (exclusive)')
    .option('--limit <n>', 'at most this many', int(1, 10_000), 100)
    .option('--json', 'JSON output')
    .action(async (opts) => {
      const { existsSync } = await import('node:fs');
      if (!existsSync(opts.db)) throw new CliError(`no audit log at ${opts.db} (the rules service and the CLI create it on first use)`);
      const { openAuditLog, openSqlite } = await import('../../service-kit/index.ts');
      const db = openSqlite(opts.db, { durability: 'full', fileMustExist: true });
      try {
        const records = openAuditLog(db).list({
          ...(opts.actor ? { actor: opts.actor } : {}), ...(opts.action ? { action: opts.action } : {}),
          ...(opts.from ? { from: epochOf(opts.from, '--from') } : {}), ...(opts.to ? { to: epochOf(opts.to, '--to') } : {}), limit: opts.limit,
        });
        if (opts.json) console.log(JSON.stringify(records.map((r) => ({ ...r, at: new Date(r.at).toISOString() }))));
        else for (const r of records) console.log(`${new Date(r.at).toISOString()}\t${r.actor}\t${r.action}\t${r.target || '-'}\t${r.result}\t${JSON.stringify(r.details)}`);
      } finally {
        db.close();
      }
    });
}


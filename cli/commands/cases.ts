// `tianzhong` commands for HTTP API tokens (roles for the case system, rules
// and the console). The token is printed once; only its hash is stored.
import type { Command } from 'commander';
import { CliError, fileToCreate } from '../command-kit.ts';
import { cliActor, DEFAULT_AUDIT_DB } from './audit.ts';

const DEFAULT_ACCESS_DB = 'var/access.sqlite';

async function openTokens(file: string, auditFile?: string) {
  const { openAccessTokens, openAuditLog, openSqlite } = await import('../../service-kit/index.ts');
  const db = openSqlite(fileToCreate(file), { durability: 'full' });
  db.pragma('journal_mode = WAL');
  // Issues and revocations go to the one audit log (ids, names, roles; never the secret).
  const auditDb = auditFile ? openSqlite(fileToCreate(auditFile), { durability: 'full' }) : undefined;
  auditDb?.pragma('journal_mode = WAL');
  const audit = auditDb ? openAuditLog(auditDb) : undefined;
  const tokens = openAccessTokens(db, Date.now, audit && ((entry) => { audit.append(entry); }));
  return { db: { close: () => { db.close(); auditDb?.close(); } }, tokens };
}

export function registerCasesCommands(program: Command): void {
  const tokens = program.command('tokens').description('HTTP API tokens and roles (admin, operator, dispatcher, crew, readonly, inspector)');
  tokens
    .command('add')
    .description('issue a token; it is printed once and stored only as a hash')
    .requiredOption('--name <name>', 'who or what holds it, e.g. "ops desk 1"')
    .requiredOption('--role <role>', 'admin | operator | dispatcher | crew | readonly | inspector')
    .option('--crew <crewId>', 'the crew a crew token acts for (required with --role crew)')
    .option('--area <district|gridCell>', 'the supervision area an inspector token is bound to (optional)')
    .option('--db <file>', 'access tokens SQLite file', DEFAULT_ACCESS_DB)
    .option('--audit-db <file>', 'the audit log SQLite file', DEFAULT_AUDIT_DB)
    .option('--json', 'JSON output')
    .action(async (opts) => {
      const { ROLES, isTzError } = await import('../../service-kit/index.ts');
      if (!(ROLES as readonly string[]).includes(opts.role)) throw new CliError(`--role must be one of ${ROLES.join(', ')}, not "${opts.role}"`);
      if (opts.role === 'crew' && !opts.crew) throw new CliError('a crew token needs --crew <crewId> (the crew whose cases it may see)');
      const { db, tokens: store } = await openTokens(opts.db, opts.auditDb);
      try {
        const { token, principal } = store.issue({ name: opts.name, role: opts.role, ...(opts.crew ? { crewId: opts.crew } : {}), ...(opts.area ? { area: opts.area } : {}), by: cliActor() });
        if (opts.json) console.log(JSON.stringify({ token, ...principal }));
        else console.log(`issued ${principal.role} token ${principal.tokenId} for "${principal.name}"${principal.crewId ? ` (crew ${principal.crewId})` : ''}${principal.area ? ` (area ${principal.area})` : ''}\ntoken (shown once): ${token}`);
      } catch (err) {
        if (isTzError(err, 'TZ_REQUEST_INVALID')) throw new CliError(err.message.replace(/^TZ_REQUEST_INVALID: /, ''));
        throw err;
      } finally {
        db.close();
      }
    });
  tokens
    .command('list')
    .description('active tokens (ids, names, roles; never the secrets)')
    .option('--db <file>', 'access tokens SQLite file', DEFAULT_ACCESS_DB)
    .option('--json', 'JSON output')
    .action(async (opts) => {
      const { db, tokens: store } = await openTokens(opts.db);
      const list = store.list();
      db.close();
      if (opts.json) console.log(JSON.stringify(list));
      else for (const p of list) console.log(`${p.tokenId}\t${p.role}\t${p.crewId ?? p.area ?? '-'}\t${p.name}`);
    });
  tokens
    .command('revoke <tokenId>')
    .description('revoke a token at once (every service sharing the file stops accepting it)')
    .option('--db <file>', 'access tokens SQLite file', DEFAULT_ACCESS_DB)
    .option('--audit-db <file>', 'the audit log SQLite file', DEFAULT_AUDIT_DB)
    .action(async (tokenId: string, opts) => {
      const { db, tokens: store } = await openTokens(opts.db, opts.auditDb);
      const done = store.revoke(tokenId, cliActor());
      db.close();
      if (!done) throw new CliError(`no active token "${tokenId}" in ${opts.db}; see tianzhong tokens list`);
      console.log(`revoked ${tokenId}`);
    });
}

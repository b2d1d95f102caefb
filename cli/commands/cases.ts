// `tianzhong` commands for HTTP API tokens (roles for the case system, rules
// and the console). The token is printed once; only its hash is stored.
import type { Command } from 'commander';
import { CliError, fileToCreate } from '../command-kit.ts';
import { cliActor, DEFAULT_AUDIT_DB } from './audit.ts';

const DEFAULT_ACCESS_DB = 'var/access.sqlite';
const DB_HELP = 'access tokens: a SQLite file, or a postgres:// URL (env TZ_TOKENS_DB, not shown here as it may hold a password) (default: var/access.sqlite)';

/** --db, else TZ_TOKENS_DB, else the default file; a postgres:// URL is taken as is. */
function tokensTarget(db: string | undefined): string {
  return db ?? process.env.TZ_TOKENS_DB ?? DEFAULT_ACCESS_DB;
}

/** A duration from now as a time: "90d", "12h", "30m". */
function expiresAtOf(text: string): number {
  const match = /^(\d{1,6})([dhm])$/.exec(text);
  if (!match) throw new CliError(`--expires-in must be a number with d, h or m (e.g. 90d), not "${text}"`);
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd' | 'h' | 'm'];
  return Date.now() + Number(match[1]) * unit;
}

async function openTokens(db: string | undefined, auditFile?: string) {
  const { openAccessStore, openAuditLog, openSqlite, isPostgresUrl } = await import('../../service-kit/index.ts');
  const target = tokensTarget(db);
  // Issues and revocations go to the one audit log (ids, names, roles; never the secret).
  const auditDb = auditFile ? openSqlite(fileToCreate(auditFile), { durability: 'full' }) : undefined;
  const audit = auditDb ? openAuditLog(auditDb) : undefined;
  try {
    const store = await openAccessStore(isPostgresUrl(target) ? target : fileToCreate(target), audit ? { audit: (entry) => { audit.append(entry); } } : {});
    return { where: isPostgresUrl(target) ? 'the PostgreSQL token store' : target, tokens: store.tokens, close: async () => { await store.close(); auditDb?.close(); } };
  } catch (err) {
    auditDb?.close();
    throw err;
  }
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
    .option('--expires-in <duration>', 'the token stops working after this long: 90d, 12h, 30m (default: until revoked)')
    .option('--db <file|url>', DB_HELP)
    .option('--audit-db <file>', 'the audit log SQLite file', DEFAULT_AUDIT_DB)
    .option('--json', 'JSON output')
    .action(async (opts) => {
      const { ROLES, isTzError } = await import('../../service-kit/index.ts');
      if (!(ROLES as readonly string[]).includes(opts.role)) throw new CliError(`--role must be one of ${ROLES.join(', ')}, not "${opts.role}"`);
      if (opts.role === 'crew' && !opts.crew) throw new CliError('a crew token needs --crew <crewId> (the crew whose cases it may see)');
      const expiresAt = opts.expiresIn ? expiresAtOf(opts.expiresIn) : undefined;
      const { close, tokens: store } = await openTokens(opts.db, opts.auditDb);
      try {
        const { token, principal } = await store.issue({ name: opts.name, role: opts.role, ...(opts.crew ? { crewId: opts.crew } : {}), ...(opts.area ? { area: opts.area } : {}), ...(expiresAt !== undefined ? { expiresAt } : {}), by: cliActor() });
        if (opts.json) console.log(JSON.stringify({ token, ...principal }));
        else console.log(`issued ${principal.role} token ${principal.tokenId} for "${principal.name}"${principal.crewId ? ` (crew ${principal.crewId})` : ''}${principal.area ? ` (area ${principal.area})` : ''}${principal.expiresAt ? ` (expires ${new Date(principal.expiresAt).toISOString()})` : ''}\ntoken (shown once): ${token}`);
      } catch (err) {
        if (isTzError(err, 'TZ_REQUEST_INVALID')) throw new CliError(err.message.replace(/^TZ_REQUEST_INVALID: /, ''));
        throw err;
      } finally {
        await close();
      }
    });
  tokens
    .command('list')
    .description('active tokens (ids, names, roles; never the secrets)')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'JSON output')
    .action(async (opts) => {
      const { close, tokens: store } = await openTokens(opts.db);
      const list = await Promise.resolve(store.list()).finally(close);
      if (opts.json) console.log(JSON.stringify(list));
      else for (const p of list) console.log(`${p.tokenId}\t${p.role}\t${p.crewId ?? p.area ?? '-'}\t${p.name}`);
    });
  tokens
    .command('revoke <tokenId>')
    .description('revoke a token at once (every service sharing the file stops accepting it)')
    .option('--db <file|url>', DB_HELP)
    .option('--audit-db <file>', 'the audit log SQLite file', DEFAULT_AUDIT_DB)
    .action(async (tokenId: string, opts) => {
      const { close, where, tokens: store } = await openTokens(opts.db, opts.auditDb);
      const done = await Promise.resolve(store.revoke(tokenId, cliActor())).finally(close);
      if (!done) throw new CliError(`no active token "${tokenId}" in ${where}; see tianzhong tokens list`);
      console.log(`revoked ${tokenId}`);
    });
}

// `tianzhong rules`: run the rules service, or edit its rules through the HTTP
// API (list, show, apply, delete, history, rollback, backtest). The API URL
// comes from --api or TZ_RULES_URL, the token from TZ_API_TOKEN.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError, fileToCreate, int, profileDir, requireEnv, serviceOptions } from '../command-kit.ts';
import { untilSignal } from '../signals.ts';
import { defaultTimeZone } from '../../service-kit/index.ts';
import { simulatedOrWallClock } from '../sim-clock-option.ts';

export interface ApiOptions { api: string; json?: boolean }

export async function call(opts: ApiOptions, method: string, path: string, body?: unknown): Promise<unknown> {
  const token = process.env.TZ_API_TOKEN;
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${opts.api.replace(/\/+$/, '')}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new CliError(`cannot reach the rules API at ${opts.api} (${(err as Error).message}); start it with \`tianzhong rules\` or pass --api / TZ_RULES_URL`);
  }
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as { code?: string; message?: string; problems?: Array<{ path: string; problem: string }> }) : {};
  if (res.status === 401) throw new CliError(`the rules API wants a token: set TZ_API_TOKEN (make one with \`tianzhong tokens add --role operator\`)`);
  if (!res.ok) {
    const problems = parsed.problems?.map((p) => `\n  ${p.path || '(rule)'}: ${p.problem}`).join('') ?? '';
    throw new CliError(`${parsed.code ?? res.status}: ${problems ? parsed.message?.split(':')[0] ?? 'invalid' : parsed.message ?? text}${problems}`);
  }
  return parsed;
}

/** A rule document from a YAML or JSON file (one rule, or a list of rules). */
async function readRules(file: string): Promise<unknown[]> {
  const { parse } = await import('yaml');
  let doc: unknown;
  try {
    doc = parse(readFileSync(resolve(file), 'utf8'));
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const list = Array.isArray(doc) ? doc : doc && typeof doc === 'object' && Array.isArray((doc as { rules?: unknown }).rules) ? (doc as { rules: unknown[] }).rules : [doc];
  return list;
}

export function apiOptions(cmd: Command): Command {
  return cmd.option('--api <url>', 'rules API base URL (env TZ_RULES_URL)', process.env.TZ_RULES_URL ?? 'http://127.0.0.1:9103').option('--json', 'JSON output');
}

export const out = (opts: ApiOptions, value: unknown, text: () => string) => console.log(opts.json ? JSON.stringify(value, null, 2) : text());

export function registerRulesCommands(program: Command): void {
  const rules = program.command('rules').description('the rules engine (alarms), and editing its rules through its API');
  serviceOptions(rules.command('run', { isDefault: true }).description('evaluate alarm rules, keep alarms and cases, serve the HTTP API and the ops console'), 'tz-rules')
    .option('--db <file>', 'SQLite file for alarms, rules and evaluator state', 'var/rules.sqlite')
    .option('--rules-db <file|url>', 'instead of --db: a SQLite file, or a postgres:// URL so several rules services (a --share-group) share alarms, rules and outbox (env TZ_RULES_DB, not shown here as it may hold a password; PGPASSWORD is read too)')
    .option('--cases-db <file|url>', 'SQLite file for cases, crews and notifications, or a postgres:// URL to share them between machines (env TZ_CASES_DB, not shown here as it may hold a password; PGPASSWORD is read too) (default: var/cases.sqlite)')
    .option('--access-db <file|url>', 'API tokens (tianzhong tokens add): a SQLite file, or a postgres:// URL shared by every service (env TZ_TOKENS_DB, not shown here as it may hold a password) (default: var/access.sqlite)')
    .option('--photos <dir>', 'folder for case photos', 'var/photos')
    .option('--case-config <file>', 'case categories, departments, SLA and crews (YAML/JSON); built-in defaults when absent')
    .option('--time-zone <zone>', 'IANA time zone of the city for time-of-day conditions', defaultTimeZone())
    .option('--share-group <group>', 'run as one member of a partitioned group ($share/<group>/… subscriptions)')
    .option('--client-id <id>', 'MQTT client id, fixed so the persistent session survives restarts; give each member of a share group its own (default tz-rules)')
    .option('--influx-url <url>', 'InfluxDB for backtests and the console (env INFLUX_URL)', process.env.INFLUX_URL)
    .option('--database <db>', 'InfluxDB database (env INFLUX_DB)', process.env.INFLUX_DB ?? 'tianzhong')
    .option('--ingest-url <url>', "ingest's HTTP URL: its device registry feeds the console (env TZ_INGEST_URL)", process.env.TZ_INGEST_URL)
    .option('--registry-db <file|url>', 'device registry SQLite file or postgres:// URL (env TZ_REGISTRY_DB): serves /api/v1/devices, /assets, /gateways (LoRa keys sealed with TZ_REGISTRY_KEY)', process.env.TZ_REGISTRY_DB)
    .option('--registry-ledger-db <file>', 'with a registry on PostgreSQL: SQLite file of the centre\'s command log and config ledger', 'var/registry-centre.sqlite')
    .option('--audit-db <file>', 'the one audit log (tokens, rules, silences, case actions; GET /api/v1/audit for admins)', 'var/audit.sqlite')
    .option('--sim-clock <start@speed[@anchorMs]>', 'a compressed run on a simulated clock (env TZ_SIM_CLOCK; never in production: its stores are marked and a wall-clock store is refused)')
    .action(async (opts) => {
      const { startRulesService } = await import('../rules-service.ts');
      const { loadProfiles } = await import('../../device-profiles/index.ts');
      const { createLogger, isPostgresUrl } = await import('../../service-kit/index.ts');
      const casesDb: string = opts.casesDb ?? process.env.TZ_CASES_DB ?? 'var/cases.sqlite';
      const rulesDb: string = opts.rulesDb ?? process.env.TZ_RULES_DB ?? opts.db;
      const accessDb: string = opts.accessDb ?? process.env.TZ_TOKENS_DB ?? 'var/access.sqlite';
      const running = await startRulesService({
        brokerUrl: opts.broker, username: opts.username, password: requireEnv('TZ_MQTT_PASSWORD', 'the MQTT password'), clientId: opts.clientId, shareGroup: opts.shareGroup,
        profiles: loadProfiles(profileDir(program)), rulesDbPath: isPostgresUrl(rulesDb) ? rulesDb : fileToCreate(rulesDb), casesDbPath: isPostgresUrl(casesDb) ? casesDb : fileToCreate(casesDb),
        accessDbPath: isPostgresUrl(accessDb) ? accessDb : fileToCreate(accessDb), photoDir: resolve(opts.photos), caseConfig: opts.caseConfig, webhookSecret: process.env.TZ_CASES_WEBHOOK_SECRET,
        influx: opts.influxUrl ? { url: opts.influxUrl, database: opts.database, username: process.env.INFLUX_USERNAME, password: process.env.INFLUX_PASSWORD, token: process.env.INFLUX_TOKEN } : undefined,
        deviceRegistryUrl: opts.ingestUrl, timeZone: opts.timeZone, http: { port: opts.httpPort }, log: createLogger, auditDbPath: fileToCreate(opts.auditDb),
        registryDbPath: opts.registryDb ? (isPostgresUrl(opts.registryDb) ? opts.registryDb : fileToCreate(opts.registryDb)) : undefined,
        registryLedgerDbPath: opts.registryDb && isPostgresUrl(opts.registryDb) ? fileToCreate(opts.registryLedgerDb) : undefined,
        clock: await simulatedOrWallClock(opts.simClock),
      });
      console.error(`rules running: API at ${running.httpUrl}/api/v1/, console at ${running.httpUrl}/console/ (tokens: tianzhong tokens add --role operator)`);
      await untilSignal(() => running.stop());
    });

  apiOptions(rules.command('list').description('every rule in force: id, source, mode, severity, version')).action(async (opts: ApiOptions) => {
    const body = (await call(opts, 'GET', '/api/v1/rules')) as { rules: Array<{ id: string; source: string; mode: string; severity: string; version: number; name: string }> };
    out(opts, body, () => body.rules.map((r) => `${r.id}\t${r.source}\t${r.mode}\t${r.severity}\tv${r.version}\t${r.name}`).join('\n'));
  });
  apiOptions(rules.command('show <id>').description('one rule as JSON, with the default it replaces')).action(async (id: string, opts: ApiOptions) => {
    const body = await call(opts, 'GET', `/api/v1/rules/${encodeURIComponent(id)}`);
    console.log(JSON.stringify(body, null, 2));
  });
  apiOptions(rules.command('apply <file>').description('create or change the rules in a YAML/JSON file (validated first; applied without restart)'))
    .option('--dry-run', 'only validate')
    .action(async (file: string, opts: ApiOptions & { dryRun?: boolean }) => {
      const docs = await readRules(file);
      const existing = new Set(((await call(opts, 'GET', '/api/v1/rules')) as { rules: Array<{ id: string }> }).rules.map((r) => r.id));
      for (const doc of docs) {
        const id = (doc as { id?: unknown }).id;
        if (opts.dryRun) { await call(opts, 'POST', '/api/v1/rules/validate', doc); console.log(`${String(id)}: valid`); continue; }
        const r = (typeof id === 'string' && existing.has(id)
          ? await call(opts, 'PUT', `/api/v1/rules/${encodeURIComponent(id)}`, doc)
          : await call(opts, 'POST', '/api/v1/rules', doc)) as { id: string; version: number };
        console.log(`${r.id}: applied, version ${r.version}`);
      }
    });
  apiOptions(rules.command('delete <id>').description("delete an operator's rule, or revert a changed default")).action(async (id: string, opts: ApiOptions) => {
    const r = (await call(opts, 'DELETE', `/api/v1/rules/${encodeURIComponent(id)}`)) as { deleted: boolean };
    out(opts, r, () => (r.deleted ? `${id}: deleted` : `${id}: reverted to its default`));
  });
  apiOptions(rules.command('history <id>').description('every version: who, when, what changed')).action(async (id: string, opts: ApiOptions) => {
    const r = (await call(opts, 'GET', `/api/v1/rules/${encodeURIComponent(id)}/history`)) as { versions: Array<{ version: number; action: string; who: string; at: string; diff: Array<{ path: string; from?: unknown; to?: unknown }> }> };
    out(opts, r, () => r.versions.map((v) => `v${v.version} ${v.at} ${v.who} ${v.action}${v.diff.map((d) => `\n    ${d.path}: ${JSON.stringify(d.from)} → ${JSON.stringify(d.to)}`).join('')}`).join('\n'));
  });
  apiOptions(rules.command('rollback <id> <version>').description('bring a rule back to one of its versions')).action(async (id: string, version: string, opts: ApiOptions) => {
    const v = int(1, 1_000_000)(version);
    const r = await call(opts, 'POST', `/api/v1/rules/${encodeURIComponent(id)}/rollback`, { version: v });
    out(opts, r, () => `${id}: rolled back to version ${v}`);
  });
  apiOptions(rules.command('backtest <ruleOrFile>').description('what a rule (an id, or a YAML/JSON file) would have fired over history'))
    .requiredOption('--from <time>', 'start, ISO 8601 (e.g. 2026-06-01T00:00:00Z)')
    .option('--to <time>', 'end, ISO 8601 (default now)')
    .option('--device <id...>', 'only these devices')
    .action(async (target: string, opts: ApiOptions & { from: string; to?: string; device?: string[] }) => {
      const isFile = /\.(ya?ml|json)$/i.test(target);
      const rule = isFile ? (await readRules(target))[0] : undefined;
      const body = { ...(isFile ? { rule } : { ruleId: target }), from: opts.from, to: opts.to ?? new Date().toISOString(), ...(opts.device ? { devices: opts.device } : {}) };
      const r = (await call(opts, 'POST', '/api/v1/rules/backtest', body)) as { ruleId: string; count: number; readings: number; devicesSeen: number; truncated: boolean; devices: Array<{ deviceId: string; count: number; fires: Array<{ raisedAt: string; clearedAt: string | null }> }> };
      out(opts, r, () => [
        `${r.ruleId}: would have raised ${r.count} alarm(s) on ${r.devices.length} of ${r.devicesSeen} device(s), from ${r.readings} readings${r.truncated ? ' (truncated)' : ''}`,
        ...r.devices.slice(0, 50).map((d) => `  ${d.deviceId}\t${d.count}\t${d.fires.slice(0, 3).map((f) => f.raisedAt).join(', ')}${d.fires.length > 3 ? ', …' : ''}`),
      ].join('\n'));
    });
}

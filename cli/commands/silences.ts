// `tianzhong silences add|list|expire|delete`: silences and maintenance
// windows through the rules service's API (--api or TZ_RULES_URL, token in
// TZ_API_TOKEN, role operator to change them). Contract: cases/ALERTS-API.md.
import type { Command } from 'commander';
import { parseDuration } from '../../device-profiles/index.ts';
import { CliError } from '../command-kit.ts';
import { apiOptions, call, out, type ApiOptions } from './rules.ts';

interface SilenceJson { id: string; kind: string; state: string; matchers: Record<string, string[] | undefined>; startsAt: string; endsAt: string; reason: string; createdBy: string }

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];

/** `2h`, `90m`, `1d` from now, or an ISO time. */
export function timeArg(value: string, now: number, what: string): number {
  const ms = parseDuration(value);
  if (ms !== null && /[a-z]$/i.test(value.trim())) return now + ms;
  const t = Date.parse(value);
  if (!Number.isFinite(t)) throw new CliError(`${what}: expected a duration (2h, 30m, 1d) or an ISO 8601 time, got "${value}"`);
  return t;
}

function line(s: SilenceJson): string {
  const scope = Object.entries(s.matchers).flatMap(([k, v]) => (v ? [`${k}=${v.join(',')}`] : [])).join(' ');
  return `${s.id.padStart(4)}  ${s.state.padEnd(8)} ${s.kind.padEnd(11)} ${s.startsAt} → ${s.endsAt}  ${scope}  "${s.reason}" (${s.createdBy})`;
}

export function registerSilencesCommands(program: Command): void {
  const silences = program.command('silences').description('silences and maintenance windows: matching alarms are recorded but raise no case and no alert');

  apiOptions(silences.command('add').description('silence alarms of a rule, device, asset or district for a while'))
    .option('--rule <ids>', 'rule id(s), comma-separated or repeated', list)
    .option('--device <ids>', 'device id(s)', list)
    .option('--asset <ids>', 'asset id(s)', list)
    .option('--district <names>', 'district(s)', list)
    .option('--from <time>', 'start (ISO time or a duration from now); default now')
    .requiredOption('--until <time>', 'end: a duration from now (2h, 1d) or an ISO time')
    .requiredOption('--reason <text>', 'why (kept in the audit)')
    .option('--maintenance', 'mark it as a planned maintenance window')
    .action(async (o: ApiOptions & { rule?: string[]; device?: string[]; asset?: string[]; district?: string[]; from?: string; until: string; reason: string; maintenance?: boolean }) => {
      const now = Date.now();
      const matchers = { ruleIds: o.rule, deviceIds: o.device, assetIds: o.asset, districts: o.district };
      if (!Object.values(matchers).some(Boolean)) throw new CliError('give at least one of --rule, --device, --asset, --district');
      const body = {
        kind: o.maintenance ? 'maintenance' : 'silence', matchers, reason: o.reason, endsAt: timeArg(o.until, now, '--until'),
        ...(o.from ? { startsAt: timeArg(o.from, now, '--from') } : {}),
      };
      const s = await call(o, 'POST', '/api/v1/silences', body) as SilenceJson;
      out(o, s, () => `silence ${s.id} ${s.state} until ${s.endsAt}`);
    });

  apiOptions(silences.command('list').description('silences now in force or pending (--all: also ended ones)'))
    .option('--all', 'include expired silences')
    .action(async (o: ApiOptions & { all?: boolean }) => {
      const { silences: rows } = await call(o, 'GET', `/api/v1/silences?state=${o.all ? 'all' : 'current'}`) as { silences: SilenceJson[] };
      out(o, rows, () => (rows.length ? rows.map(line).join('\n') : 'no silences'));
    });

  apiOptions(silences.command('expire <id>').description('end a silence now (its still-open alarms are raised)'))
    .option('--reason <text>', 'why (kept in the audit)')
    .action(async (id: string, o: ApiOptions & { reason?: string }) => {
      const s = await call(o, 'POST', `/api/v1/silences/${encodeURIComponent(id)}/expire`, o.reason ? { reason: o.reason } : {}) as SilenceJson;
      out(o, s, () => `silence ${s.id} expired`);
    });

  apiOptions(silences.command('delete <id>').description('delete a silence (the audit keeps it)'))
    .option('--reason <text>', 'why (kept in the audit)')
    .action(async (id: string, o: ApiOptions & { reason?: string }) => {
      await call(o, 'DELETE', `/api/v1/silences/${encodeURIComponent(id)}${o.reason ? `?reason=${encodeURIComponent(o.reason)}` : ''}`);
      out(o, { deleted: id }, () => `silence ${id} deleted`);
    });
}

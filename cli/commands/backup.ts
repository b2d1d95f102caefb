// `tianzhong backup` / `tianzhong restore`: one machine's stores to a folder
// and back (docs/BACKUP.md).
import type { Command } from 'commander';
import { CliError } from '../command-kit.ts';
import { isPostgresUrl } from '../../service-kit/index.ts';

function influxOptions(cmd: Command): Command {
  return cmd
    .option('--var <dir>', 'the stack\'s var folder (SQLite stores, photos, managed influxd)', 'var')
    .option('--influx-url <url>', 'an InfluxDB the stack does not manage (env INFLUX_URL); default: the managed influxd under --var', process.env.INFLUX_URL)
    .option('--influx-rpc <host:port>', 'RPC address of that InfluxDB 1.x for influxd backup/restore -portable (env INFLUX_RPC); without it the database is exported through InfluxQL (partial: see docs/BACKUP.md)', process.env.INFLUX_RPC)
    .option('--database <db>', 'InfluxDB database of that export (env INFLUX_DB)', process.env.INFLUX_DB ?? 'tianzhong')
    .option('--postgres <url>', 'a PostgreSQL store to include (repeatable); default: the postgres:// URLs in TZ_CASES_DB, TZ_RULES_DB, TZ_TOKENS_DB, TZ_REGISTRY_DB', (url: string, all: string[] = []) => [...all, url]);
}

/** The stack's PostgreSQL stores: given on the command line, else those its services are configured with. */
function postgresUrls(given: string[] | undefined): string[] {
  if (given && given.length > 0) return given;
  return ['TZ_CASES_DB', 'TZ_RULES_DB', 'TZ_TOKENS_DB', 'TZ_REGISTRY_DB'].map((k) => process.env[k] ?? '').filter(isPostgresUrl);
}

/** Credentials of a remote InfluxDB come from the environment, never the command line. */
function influxAuth(): { username?: string; password?: string; token?: string } {
  const env = process.env;
  return { ...(env.INFLUX_USERNAME ? { username: env.INFLUX_USERNAME } : {}), ...(env.INFLUX_PASSWORD ? { password: env.INFLUX_PASSWORD } : {}), ...(env.INFLUX_TOKEN ? { token: env.INFLUX_TOKEN } : {}) };
}

export function registerBackupCommands(program: Command): void {
  influxOptions(program.command('backup'))
    .description('a consistent snapshot of the stores (SQLite online backup, PostgreSQL pg_dump, InfluxDB portable backup) with a checksummed manifest')
    .requiredOption('--out <dir>', 'a new, empty folder for the backup')
    .option('--json', 'print the manifest as JSON')
    .action(async (opts) => {
      const { runBackup, stackBackupSources, terminalProgress } = await import('../backup/index.ts');
      const { isTzError } = await import('../../service-kit/index.ts');
      try {
        const manifest = await runBackup(opts.out, stackBackupSources({ varDir: opts.var, influxUrl: opts.influxUrl, influxRpc: opts.influxRpc, influxDatabase: opts.database, influxAuth: influxAuth(), postgres: postgresUrls(opts.postgres), exclude: opts.out }), terminalProgress());
        if (opts.json) console.log(JSON.stringify(manifest));
        else {
          const bytes = manifest.files.reduce((sum, f) => sum + f.bytes, 0);
          console.log(`backup written to ${opts.out}: ${manifest.files.length} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB; ${manifest.parts.map((p) => `${p.source} ${p.covered ? 'covered' : 'NOT covered'}`).join(', ')}`);
        }
      } catch (err) {
        if (isTzError(err, 'TZ_BACKUP_INVALID')) throw new CliError(err.message.replace(/^TZ_BACKUP_INVALID: /, ''));
        throw err;
      }
    });
  influxOptions(program.command('restore'))
    .description('bring a backup back on a fresh machine: checksums verified first; refuses a non-empty target without --force')
    .requiredOption('--from <dir>', 'the backup folder (with manifest.json)')
    .option('--force', 'overwrite a var folder that already holds stores')
    .action(async (opts) => {
      const { runRestore, stackBackupSources, terminalProgress } = await import('../backup/index.ts');
      const { isTzError } = await import('../../service-kit/index.ts');
      try {
        const manifest = await runRestore(opts.from, stackBackupSources({ varDir: opts.var, influxUrl: opts.influxUrl, influxRpc: opts.influxRpc, influxDatabase: opts.database, influxAuth: influxAuth(), postgres: postgresUrls(opts.postgres) }), terminalProgress(), { force: Boolean(opts.force) });
        console.log(`restored the backup of ${manifest.createdAt} into ${opts.var}${opts.influxUrl ? ` and ${opts.influxUrl}` : ''}`);
      } catch (err) {
        if (isTzError(err, 'TZ_BACKUP_INVALID')) throw new CliError(err.message.replace(/^TZ_BACKUP_INVALID: /, ''));
        throw err;
      }
    });
}

// `tianzhong ingest`: the ingest service, and its dead-letter store (list, show, replay).
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError, fileToCreate, int, profileDir, requireEnv, serviceOptions } from '../command-kit.ts';
import { untilSignal } from '../signals.ts';
import { simulatedOrWallClock } from '../sim-clock-option.ts';

function apiVersion(value: string): 'auto' | 'v1' | 'v2' {
  if (value !== 'auto' && value !== 'v1' && value !== 'v2') throw new CliError(`--influx-api must be auto, v1 or v2, not "${value}"`);
  return value;
}

function influxTarget(opts: { influxUrl?: string; database: string; influxApi: string; retentionPolicy?: string }) {
  if (!opts.influxUrl) throw new CliError('no InfluxDB given: pass --influx-url or set INFLUX_URL (npm start runs a managed influxd for you)');
  return {
    url: opts.influxUrl, database: opts.database, retentionPolicy: opts.retentionPolicy, apiVersion: apiVersion(opts.influxApi),
    username: process.env.INFLUX_USERNAME, password: process.env.INFLUX_PASSWORD, token: process.env.INFLUX_TOKEN, org: process.env.INFLUX_ORG, bucket: process.env.INFLUX_BUCKET,
  };
}

function influxOptions(cmd: Command): Command {
  return cmd
    .option('--influx-url <url>', 'InfluxDB URL (env INFLUX_URL)', process.env.INFLUX_URL)
    .option('--database <db>', 'InfluxDB database (env INFLUX_DB)', process.env.INFLUX_DB ?? 'tianzhong')
    .option('--influx-api <api>', 'auto (from /ping X-Influxdb-Version) | v1 (/write) | v2 (/api/v2/write)', 'auto');
}

function existingFile(file: string, what: string, hint = 'pass the file ingest writes (--dead-letter), default var/dead-letter.sqlite'): string {
  const path = resolve(file);
  if (!existsSync(path)) throw new CliError(`no ${what} at ${path}: ${hint}`);
  return path;
}

export function registerIngestCommands(program: Command): void {
  const ingest = program.command('ingest').description('consume UplinkBatch messages and write them to InfluxDB; inspect and replay its dead letters');

  influxOptions(serviceOptions(ingest.command('run', { isDefault: true }).description('run the ingest service'), 'tz-ingest'))
    .option('--client-id <id>', 'MQTT client id; fixed, so the broker keeps the session (default tz-ingest; with --share-group tz-ingest-<group>-<host>)')
    .option('--share-group <group>', 'split the load with other ingest instances: subscribe via $share/<group>/tz/v1/gw/+/up/batch')
    .option('--dead-letter <file>', 'dead-letter SQLite file', 'var/dead-letter.sqlite')
    .option('--registry <file>', 'device registry SQLite file (default: device-registry.sqlite next to the dead-letter file)')
    .option('--access-db <file|url>', 'API tokens shared with the rules service (tianzhong tokens add): a SQLite file or a postgres:// URL (env TZ_TOKENS_DB) (default: var/access.sqlite); the device registry API is served only with it')
    .option('--registry-db <file|url>', 'bind readings to the device registry, a SQLite file or postgres:// URL (tianzhong devices …): devices not registered, or registered to another gateway, are dead-lettered (unknown-device, wrong-gateway)')
    .option('--raw-retention <duration>', 'InfluxQL duration raw readings are kept', '90d')
    .option('--downsampled-retention <duration>', 'InfluxQL duration the hourly mean/min/max are kept', '730d')
    .option('--no-setup', 'do not create database, retention policies or continuous queries (write only)')
    .option('--max-batch <lines>', 'most readings per InfluxDB write request', int(1, 100_000), 5000)
    .option('--write-concurrency <n>', 'InfluxDB write requests in flight', int(1, 64), 3)
    .option('--linger-ms <ms>', 'how long a partly filled write batch waits for more readings', int(0, 10_000), 50)
    .option('--max-buffered <readings>', 'readings held before ingest stops taking messages from the broker', int(100, 10_000_000), 50_000)
    .option('--gzip', 'gzip write bodies (default: only when InfluxDB is not on loopback)')
    .option('--no-gzip', 'never gzip write bodies')
    .option('--max-clock-ahead <seconds>', 'refuse readings stamped further ahead of the cloud clock', int(0, 31_536_000), 300)
    .option('--max-clock-behind <days>', 'refuse readings older than this many days', int(1, 3650), 30)
    .option('--sim-clock <start@speed[@anchorMs]>', 'a compressed run on a simulated clock (env TZ_SIM_CLOCK; never in production: its stores are marked and a wall-clock store is refused)')
    .action(async (opts) => {
      const influx = influxTarget(opts);
      const { startIngest } = await import('../../ingest/index.ts');
      const { loadProfiles } = await import('../../device-profiles/index.ts');
      const { createLogger, isPostgresUrl, openAccessStore } = await import('../../service-kit/index.ts');
      const accessTarget: string = opts.accessDb ?? process.env.TZ_TOKENS_DB ?? 'var/access.sqlite';
      const accessStore = await openAccessStore(isPostgresUrl(accessTarget) ? accessTarget : fileToCreate(accessTarget), { log: createLogger('access') });
      const profiles = loadProfiles(profileDir(program));
      let binding: import('../../registry/index.ts').RegistryBinding | undefined;
      if (opts.registryDb) {
        const { openRegistryBinding, openRegistryBindingAt, RegistryKey } = await import('../../registry/index.ts');
        const registryOptions = { profiles, key: RegistryKey.load(), log: createLogger('registry') };
        binding = isPostgresUrl(opts.registryDb) ? await openRegistryBindingAt(opts.registryDb, registryOptions)
          : openRegistryBinding(existingFile(opts.registryDb, 'device registry', 'tianzhong devices import --db'), registryOptions);
      }
      const running = await startIngest({
        binding,
        brokerUrl: opts.broker, username: opts.username, password: requireEnv('TZ_MQTT_PASSWORD', 'the MQTT password'),
        clientId: opts.clientId, shareGroup: opts.shareGroup, influx,
        profiles, deadLetterPath: fileToCreate(opts.deadLetter), registryPath: opts.registry ? fileToCreate(opts.registry) : undefined,
        http: { port: opts.httpPort }, log: createLogger('ingest'), access: accessStore.tokens, registerMetrics: (registry) => accessStore.registerMetrics(registry),
        retention: opts.setup ? { rawDuration: opts.rawRetention, downsampledDuration: opts.downsampledRetention } : null,
        maxBatchLines: opts.maxBatch, writeConcurrency: opts.writeConcurrency, lingerMs: opts.lingerMs, maxBufferedReadings: opts.maxBuffered, gzip: opts.gzip,
        timestampWindow: { futureMs: opts.maxClockAhead * 1000, pastMs: opts.maxClockBehind * 86_400_000 },
        clock: await simulatedOrWallClock(opts.simClock),
      });
      console.error(`ingest running (metrics ${running.httpUrl}/metrics, devices ${running.httpUrl}/api/v1/devices)`);
      await untilSignal(async () => {
        await running.stop();
        binding?.close();
        await accessStore.close();
      });
    });

  const dlq = ingest.command('dlq').description('the dead-letter store: what ingest refused, with the reason');
  dlq
    .command('list')
    .description('letters still dead, oldest first (counts by reason on stderr)')
    .option('--dead-letter <file>', 'dead-letter SQLite file', 'var/dead-letter.sqlite')
    .option('--reason <reason>', 'only this reason (e.g. above-max, unknown-profile, timestamp-out-of-range)')
    .option('--after <id>', 'only letters after this id (paging)', int(0, Number.MAX_SAFE_INTEGER), 0)
    .option('--limit <n>', 'at most this many', int(1, 1_000_000), 100)
    .option('--all', 'include letters already replayed')
    .option('--json', 'one JSON object per line')
    .action(async (opts) => {
      const { openDeadLetterStore } = await import('../../ingest/index.ts');
      const store = openDeadLetterStore(existingFile(opts.deadLetter, 'dead-letter store'));
      try {
        const letters = store.list({ reason: opts.reason, afterId: opts.after, limit: opts.limit, includeReplayed: opts.all });
        for (const l of letters) {
          if (opts.json) console.log(JSON.stringify({ ...l, payload: undefined, payloadBytes: l.payload.length }));
          else console.log(`${l.id}\t${l.receivedAt}\t${l.reason}\t${l.gatewayId ?? '-'}\t${l.deviceId ?? '-'}\t${l.replayedAt ? `replayed ${l.replayedAt}` : l.detail}`);
        }
        const byReason = store.countByReason();
        console.error(`still dead: ${Object.entries(byReason).map(([r, n]) => `${r} ${n}`).join(', ') || 'none'}`);
      } finally {
        store.close();
      }
    });
  dlq
    .command('show <id>')
    .description('one letter: reason, detail and the payload decoded (or its bytes in hex when it does not decode)')
    .option('--dead-letter <file>', 'dead-letter SQLite file', 'var/dead-letter.sqlite')
    .action(async (id: string, opts) => {
      const { openDeadLetterStore, decodeStep } = await import('../../ingest/index.ts');
      const store = openDeadLetterStore(existingFile(opts.deadLetter, 'dead-letter store'));
      try {
        const letter = store.get(Number(id));
        if (!letter) throw new CliError(`no dead letter ${id}; see tianzhong ingest dlq list`);
        const decoded = decodeStep(letter.topic, letter.payload);
        const { payload, ...rest } = letter;
        console.log(JSON.stringify({ ...rest, payloadBytes: payload.length, decoded: decoded.ok ? decoded.batch.toJSON() : null, payloadHex: decoded.ok ? undefined : Buffer.from(payload).toString('hex') }, null, 2));
      } finally {
        store.close();
      }
    });
  influxOptions(dlq.command('replay [ids...]'))
    .description('re-validate letters with the current profiles and write what now passes (all live letters, or by id / reason)')
    .option('--dead-letter <file>', 'dead-letter SQLite file', 'var/dead-letter.sqlite')
    .option('--reason <reason>', 'only letters of this reason')
    .option('--retention-policy <rp>', 'InfluxDB 1.x retention policy of raw readings', 'raw')
    .option('--max-clock-behind <days>', 'readings older than this many days still refuse', int(1, 3650), 30)
    .option('--dry-run', 'only report what would pass')
    .action(async (ids: string[], opts) => {
      const ids2 = ids.map((s) => {
        const n = Number(s);
        if (!Number.isSafeInteger(n) || n <= 0) throw new CliError(`"${s}" is not a dead-letter id; see tianzhong ingest dlq list`);
        return n;
      });
      const influx = influxTarget(opts);
      const { openDeadLetterStore, replayDeadLetters } = await import('../../ingest/index.ts');
      const { loadProfiles } = await import('../../device-profiles/index.ts');
      const store = openDeadLetterStore(existingFile(opts.deadLetter, 'dead-letter store'));
      try {
        const report = await replayDeadLetters({
          store, profiles: loadProfiles(profileDir(program)), influx, ids: ids2.length > 0 ? ids2 : undefined, reason: opts.reason, dryRun: opts.dryRun,
          window: { pastMs: opts.maxClockBehind * 86_400_000 },
          progress: (done, total) => process.stderr.write(`\rwriting ${done}/${total} letters`),
        });
        if (report.examined > 0) process.stderr.write('\n');
        console.log(JSON.stringify(report));
        const refused = Object.entries(report.stillRefused).map(([r, n]) => `${r} ${n}`).join(', ');
        console.error(`${opts.dryRun ? 'would replay' : 'replayed'} ${report.replayed} of ${report.examined} letters (${report.readingsWritten} readings written)${refused ? `; still refused: ${refused}` : ''}`);
      } finally {
        store.close();
      }
    });
}

#!/usr/bin/env node
// `tianzhong`: one CLI that starts any component or the whole stack.
import { Command, InvalidArgumentError } from 'commander';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { isTzError } from '../service-kit/index.ts';
import { runStart } from './start-command.ts';
import { runBench } from './bench-command.ts';
import { untilSignal } from './signals.ts';

function int(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

/** Secrets come from the environment, never from the command line (it shows in `ps`). */
function requireEnv(name: string, what: string): string {
  const value = process.env[name];
  if (!value) {
    throw new CliError(`${what} is missing: set the environment variable ${name}`);
  }
  return value;
}

class CliError extends Error {}

/** Absolute path of a file the command will create, its folder made first. */
function fileToCreate(file: string): string {
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true });
  return path;
}

/** Device profiles folder: --profiles (or TZ_PROFILE_DIR); the built-in profiles when unset. */
function profileDir(): string | undefined {
  const dir = program.opts<{ profiles?: string }>().profiles ?? process.env.TZ_PROFILE_DIR;
  return dir ? resolve(dir) : undefined;
}

const program = new Command('tianzhong')
  .description('Tianzhong: city street furniture online, from sensor reading to repaired asset')
  .option('--profiles <dir>', 'device profiles folder (env TZ_PROFILE_DIR; default: the built-in profiles)')
  .showHelpAfterError();

program
  .command('start')
  .description('run the whole pipeline with a simulated district (managed influxd unless INFLUX_URL is set)')
  .option('--devices <n>', 'simulated devices', int(4, 20_000), 200)
  .option('--seed <n>', 'simulation seed', int(0, 2 ** 31), 1)
  .option('--poll <ms>', 'edge agent poll interval, ms', int(200, 3_600_000), 5000)
  .option('--fault-after <s>', 'seconds until the scripted fault (a manhole cover opened); 0 = none', int(0, 86_400), 20)
  .option('--mqtt-port <port>', 'MQTT port (0 = a free port)', int(0, 65535), 0)
  .option('--status-port <port>', 'port of the pipeline status API (0 = a free port)', int(0, 65535), 0)
  .option('--var <dir>', 'folder for InfluxDB data, SQLite files', 'var')
  .option('--json', 'print pipeline counters as one JSON line every 10 s')
  .action(async (opts) => {
    await runStart({
      devices: opts.devices, seed: opts.seed, pollIntervalMs: opts.poll, faultAfterSeconds: opts.faultAfter,
      mqttPort: opts.mqttPort, statusPort: opts.statusPort, varDir: resolve(opts.var), json: Boolean(opts.json), profileDir: profileDir(),
    });
  });

const broker = program.command('broker').description('run the MQTT broker (Aedes), or manage its users');
broker
  .command('run', { isDefault: true })
  .description('run the broker')
  .option('--host <host>', 'listen address', '127.0.0.1')
  .option('--port <port>', 'MQTT port', int(0, 65535), 1883)
  .option('--http-port <port>', '/metrics and /healthz port', int(0, 65535), 9101)
  .option('--users <file>', 'users file (hashed passwords)', 'var/broker-users.json')
  .action(async (opts) => {
    const { startBroker, BrokerUsers } = await import('../broker/index.ts');
    const { createLogger } = await import('../service-kit/index.ts');
    const users = BrokerUsers.load(resolve(opts.users));
    if (users.list().length === 0) throw new CliError(`no users in ${opts.users}: add one first, e.g. tianzhong broker users add gw-0001 --role gateway`);
    const running = await startBroker({ users, host: opts.host, port: opts.port, http: { host: '127.0.0.1', port: opts.httpPort }, log: createLogger('broker') });
    console.error(`broker listening on ${running.mqttUrl} (metrics ${running.httpUrl}/metrics)`);
    await untilSignal(() => running.stop());
  });

const users = broker.command('users').description('manage broker credentials (stored scrypt-hashed)');
users
  .command('add <username>')
  .description('add a gateway or service account; the password is read from TZ_NEW_PASSWORD or generated and printed once')
  .requiredOption('--role <role>', 'gateway | service')
  .option('--users <file>', 'users file', 'var/broker-users.json')
  .action(async (username: string, opts) => {
    if (opts.role !== 'gateway' && opts.role !== 'service') throw new CliError(`--role must be gateway or service, not "${opts.role}"`);
    const { BrokerUsers } = await import('../broker/index.ts');
    const store = BrokerUsers.load(resolve(opts.users));
    const password = process.env.TZ_NEW_PASSWORD ?? randomBytes(18).toString('base64url');
    store.add(username, password, opts.role);
    store.save();
    console.log(process.env.TZ_NEW_PASSWORD ? `added ${opts.role} ${username}` : `added ${opts.role} ${username}; password (shown once): ${password}`);
  });
users
  .command('remove <username>')
  .option('--users <file>', 'users file', 'var/broker-users.json')
  .action(async (username: string, opts) => {
    const { BrokerUsers } = await import('../broker/index.ts');
    const store = BrokerUsers.load(resolve(opts.users));
    if (!store.remove(username)) throw new CliError(`no user "${username}" in ${opts.users}; see tianzhong broker users list`);
    store.save();
    console.log(`removed ${username}`);
  });
users
  .command('list')
  .option('--users <file>', 'users file', 'var/broker-users.json')
  .option('--json', 'JSON output')
  .action(async (opts) => {
    const { BrokerUsers } = await import('../broker/index.ts');
    const list = BrokerUsers.load(resolve(opts.users)).list();
    if (opts.json) console.log(JSON.stringify(list));
    else for (const u of list) console.log(`${u.username}\t${u.role}\t${u.createdAt}`);
  });

function serviceOptions(cmd: Command, defaultUser: string): Command {
  return cmd
    .option('--broker <url>', 'MQTT broker URL (env TZ_MQTT_URL)', process.env.TZ_MQTT_URL ?? 'mqtt://127.0.0.1:1883')
    .option('--username <name>', 'MQTT service account (password from env TZ_MQTT_PASSWORD)', defaultUser)
    .option('--http-port <port>', '/metrics, /healthz (and API) port', int(0, 65535), 0);
}

serviceOptions(program.command('ingest').description('consume UplinkBatch messages and write them to InfluxDB'), 'tz-ingest')
  .option('--influx-url <url>', 'InfluxDB URL (env INFLUX_URL)', process.env.INFLUX_URL)
  .option('--database <db>', 'InfluxDB database (env INFLUX_DB)', process.env.INFLUX_DB ?? 'tianzhong')
  .option('--dead-letter <file>', 'dead-letter SQLite file', 'var/dead-letter.sqlite')
  .action(async (opts) => {
    if (!opts.influxUrl) throw new CliError('no InfluxDB given: pass --influx-url or set INFLUX_URL (npm start runs a managed influxd for you)');
    const { startIngest } = await import('../ingest/index.ts');
    const { loadProfiles } = await import('../device-profiles/index.ts');
    const { createLogger } = await import('../service-kit/index.ts');
    const running = await startIngest({
      brokerUrl: opts.broker, username: opts.username, password: requireEnv('TZ_MQTT_PASSWORD', 'the MQTT password'),
      influx: { url: opts.influxUrl, database: opts.database, username: process.env.INFLUX_USERNAME, password: process.env.INFLUX_PASSWORD, token: process.env.INFLUX_TOKEN },
      profiles: loadProfiles(profileDir()), deadLetterPath: fileToCreate(opts.deadLetter), http: { port: opts.httpPort }, log: createLogger('ingest'),
    });
    console.error(`ingest running (metrics ${running.httpUrl}/metrics)`);
    await untilSignal(() => running.stop());
  });

serviceOptions(program.command('rules').description('evaluate alarm rules, keep alarms and cases, serve the HTTP API'), 'tz-rules')
  .option('--db <file>', 'SQLite file for alarms and cases', 'var/rules.sqlite')
  .action(async (opts) => {
    const { startRules } = await import('../rules/index.ts');
    const { loadProfiles } = await import('../device-profiles/index.ts');
    const { createLogger } = await import('../service-kit/index.ts');
    const running = await startRules({
      brokerUrl: opts.broker, username: opts.username, password: requireEnv('TZ_MQTT_PASSWORD', 'the MQTT password'),
      profiles: loadProfiles(profileDir()), dbPath: fileToCreate(opts.db), http: { port: opts.httpPort }, log: createLogger('rules'),
    });
    console.error(`rules running, API at ${running.httpUrl}/api/v1/`);
    await untilSignal(() => running.stop());
  });

program
  .command('edge-agent')
  .description('run a gateway agent from its YAML config (password from the file or env TZ_GATEWAY_PASSWORD)')
  .requiredOption('--config <file>', 'gateway config YAML')
  .action(async (opts) => {
    const { parseEdgeAgentConfig, startEdgeAgent } = await import('../edge-agent/index.ts');
    const { loadProfiles } = await import('../device-profiles/index.ts');
    const { createLogger } = await import('../service-kit/index.ts');
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(opts.config, 'utf8'));
    } catch (err) {
      throw new CliError(`cannot read ${opts.config}: ${(err as Error).message}`);
    }
    if (raw && typeof raw === 'object' && !('password' in raw) && process.env.TZ_GATEWAY_PASSWORD) (raw as Record<string, unknown>).password = process.env.TZ_GATEWAY_PASSWORD;
    const config = parseEdgeAgentConfig(raw, opts.config);
    const running = await startEdgeAgent(config, { profiles: loadProfiles(profileDir()), log: createLogger('edge-agent') });
    console.error(`edge agent ${config.gatewayId} polling ${config.devices.length} devices (metrics ${running.httpUrl}/metrics)`);
    await untilSignal(() => running.stop());
  });

program
  .command('sim')
  .description('run a simulated district of Modbus TCP devices; optionally write the matching gateway config')
  .option('--devices <n>', 'devices', int(4, 20_000), 200)
  .option('--seed <n>', 'seed', int(0, 2 ** 31), 1)
  .option('--write-config <file>', 'write an edge-agent config for these devices')
  .option('--gateway-id <id>', 'gateway id for the written config', 'gw-0001')
  .option('--broker <url>', 'broker URL for the written config', 'mqtt://127.0.0.1:1883')
  .action(async (opts) => {
    const { startSimulatedDistrict } = await import('../firmware-sim/index.ts');
    const { loadProfiles } = await import('../device-profiles/index.ts');
    const sim = await startSimulatedDistrict({ profiles: loadProfiles(profileDir()), devices: opts.devices, seed: opts.seed });
    const buses = new Set(sim.devices.map((d) => `${d.host}:${d.port}`));
    console.error(`simulating ${sim.devices.length} devices on ${buses.size} Modbus TCP buses: ${[...buses].join(', ')}`);
    if (opts.writeConfig) {
      const config = {
        gatewayId: opts.gatewayId, brokerUrl: opts.broker, username: opts.gatewayId,
        devices: sim.devices.map((d) => ({ deviceId: d.deviceId, profile: d.profile, district: d.district, modbus: { host: d.host, port: d.port, unitId: d.unitId } })),
      };
      writeFileSync(opts.writeConfig, `# written by tianzhong sim; the password comes from TZ_GATEWAY_PASSWORD\n${toYaml(config)}`);
      console.error(`wrote ${opts.writeConfig}`);
    }
    await untilSignal(() => sim.stop());
  });

program
  .command('bench')
  .description('run the benchmarks and write BENCHMARKS.md')
  .option('--out <file>', 'report file', 'BENCHMARKS.md')
  .option('--quick', 'fewer iterations (a smoke run)')
  .action(async (opts) => {
    await runBench({ out: resolve(opts.out), quick: Boolean(opts.quick) });
  });

program.parseAsync(process.argv).then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    if (err instanceof CliError) console.error(`tianzhong: ${err.message}`);
    else if (isTzError(err)) console.error(`tianzhong: ${err.message}`);
    else console.error(`tianzhong: unexpected error: ${(err as Error)?.stack ?? String(err)}`);
    process.exit(1);
  },
);

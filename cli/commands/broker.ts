// `tianzhong` commands for the MQTT broker and its users.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { CliError, int } from '../command-kit.ts';
import { untilSignal } from '../signals.ts';
import { appendAudit, cliActor, DEFAULT_AUDIT_DB } from './audit.ts';

const ROLES_HELP = 'gateway | ingest | rules | console | crew | service (= ingest + rules + console) | device (a device that connects by itself) | device-gateway';

export function registerBrokerCommands(program: Command): void {
  const broker = program.command('broker').description('run the MQTT broker (Aedes), or manage its users');
  broker
    .command('run', { isDefault: true })
    .description('run the broker; listeners, limits, persistence from --config broker.yaml (see broker/README.md), flags override it')
    .option('--config <file>', 'broker.yaml (TCP/TLS/WebSocket listeners, limits, login throttling, memory or Redis persistence)')
    .option('--host <host>', 'TCP listen address', '127.0.0.1')
    .option('--port <port>', 'MQTT TCP port', int(0, 65535), 1883)
    .option('--http-port <port>', '/metrics and /healthz port', int(0, 65535), 9101)
    .option('--users <file>', 'users file (hashed passwords)', 'var/broker-users.json')
    .option('--audit-db <file>', 'the audit log SQLite file (logins, refused and throttled ones included)', DEFAULT_AUDIT_DB)
    .action(async (opts, cmd: Command) => {
      const { startBroker, BrokerUsers, loadBrokerConfig } = await import('../../broker/index.ts');
      const { createLogger, isTzError } = await import('../../service-kit/index.ts');
      const given = (name: string) => cmd.getOptionValueSource(name) === 'cli';
      let config;
      try {
        config = opts.config ? loadBrokerConfig(resolve(opts.config)) : undefined;
      } catch (err) {
        if (isTzError(err)) throw new CliError(`${err.message.replace(/^TZ_CONFIG_INVALID: /, '')}\nfix the file (keys are listed in broker/README.md) and start again`);
        throw err;
      }
      const usersFile = resolve(given('users') || !config ? opts.users : config.users);
      const users = BrokerUsers.load(usersFile);
      if (users.list().length === 0) throw new CliError(`no users in ${usersFile}: add one first, e.g. tianzhong broker users add gw-0001 --role gateway`);
      const { openAuditLog, openSqlite } = await import('../../service-kit/index.ts');
      const { fileToCreate } = await import('../command-kit.ts');
      const auditDb = openSqlite(fileToCreate(opts.auditDb), { durability: 'full' });
      auditDb.pragma('journal_mode = WAL');
      const audit = openAuditLog(auditDb);
      const listeners = config ? { ...config.listeners } : { tcp: { host: opts.host, port: opts.port } };
      if (config && (given('host') || given('port'))) listeners.tcp = { host: opts.host, port: opts.port };
      const running = await startBroker({
        users,
        listeners,
        http: { host: config?.http.host ?? '127.0.0.1', port: given('httpPort') || !config ? opts.httpPort : config.http.port },
        ...(config
          ? {
              nodeId: config.nodeId,
              limits: config.limits,
              loginThrottle: config.loginThrottle && {
                maxFailures: config.loginThrottle.maxFailures,
                windowMs: config.loginThrottle.windowSeconds * 1000,
                lockoutMs: config.loginThrottle.lockoutSeconds * 1000,
                maxLockoutMs: config.loginThrottle.maxLockoutSeconds * 1000,
                ...(config.loginThrottle.maxAddressLockoutSeconds !== undefined ? { maxAddressLockoutMs: config.loginThrottle.maxAddressLockoutSeconds * 1000 } : {}),
              },
              grants: config.grants,
              grantsSource: resolve(opts.config),
              persistence: config.persistence,
              deniedPublish: config.deniedPublish,
              gatewayEvents: config.gatewayEvents,
              shareHandoverMs: config.shareHandoverMs,
            }
          : {}),
        log: createLogger('broker'),
        audit: (entry) => { audit.append(entry); },
      });
      const where = Object.entries(running.urls).map(([kind, url]) => `${kind} ${url}`).join(', ');
      console.error(`broker ${running.nodeId} listening on ${where} (metrics ${running.httpUrl}/metrics)`);
      await untilSignal(async () => { await running.stop(); auditDb.close(); });
    });

  const users = broker.command('users').description('manage broker credentials (stored scrypt-hashed)');
  users
    .command('add <username>')
    .description('add (or replace) an account; the password is read from TZ_NEW_PASSWORD or generated and printed once')
    .requiredOption('--role <role>', ROLES_HELP)
    .option('--users <file>', 'users file', 'var/broker-users.json')
    .option('--audit-db <file>', 'the audit log SQLite file', DEFAULT_AUDIT_DB)
    .action(async (username: string, opts) => {
      const { BrokerUsers, isBrokerRole, BROKER_ROLES, generatePassword } = await import('../../broker/index.ts');
      if (!isBrokerRole(opts.role)) throw new CliError(`--role must be gateway or service, or one of ${BROKER_ROLES.join(', ')}; not "${opts.role}"`);
      const store = BrokerUsers.load(resolve(opts.users));
      const password = process.env.TZ_NEW_PASSWORD ?? generatePassword();
      const replaced = store.has(username);
      store.add(username, password, opts.role);
      store.save();
      // Who and whom, never the password (it is printed once below and stored only hashed).
      await appendAudit(opts.auditDb, { actor: cliActor(), action: replaced ? 'broker.user.replace' : 'broker.user.add', target: username, details: { role: opts.role, usersFile: resolve(opts.users) } });
      const verb = replaced ? 'replaced' : 'added';
      console.log(process.env.TZ_NEW_PASSWORD ? `${verb} ${opts.role} ${username}` : `${verb} ${opts.role} ${username}; password (shown once): ${password}`);
    });
  users
    .command('remove <username>')
    .option('--users <file>', 'users file', 'var/broker-users.json')
    .option('--audit-db <file>', 'the audit log SQLite file', DEFAULT_AUDIT_DB)
    .action(async (username: string, opts) => {
      const { BrokerUsers } = await import('../../broker/index.ts');
      const store = BrokerUsers.load(resolve(opts.users));
      if (!store.remove(username)) throw new CliError(`no user "${username}" in ${opts.users}; see tianzhong broker users list`);
      store.save();
      await appendAudit(opts.auditDb, { actor: cliActor(), action: 'broker.user.remove', target: username });
      console.log(`removed ${username} (a running broker reloads the file within seconds and disconnects it)`);
    });
  users
    .command('list')
    .option('--users <file>', 'users file', 'var/broker-users.json')
    .option('--json', 'JSON output')
    .action(async (opts) => {
      const { BrokerUsers } = await import('../../broker/index.ts');
      const list = BrokerUsers.load(resolve(opts.users)).list();
      if (opts.json) console.log(JSON.stringify(list));
      else for (const u of list) console.log(`${u.username}\t${u.role}\t${u.createdAt}`);
    });
}

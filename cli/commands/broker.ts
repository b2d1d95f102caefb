// `tianzhong` commands for the MQTT broker and its users.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CliError, int } from '../command-kit.ts';
import { untilSignal } from '../signals.ts';

export function registerBrokerCommands(program: Command): void {
  const broker = program.command('broker').description('run the MQTT broker (Aedes), or manage its users');
  broker
    .command('run', { isDefault: true })
    .description('run the broker')
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--port <port>', 'MQTT port', int(0, 65535), 1883)
    .option('--http-port <port>', '/metrics and /healthz port', int(0, 65535), 9101)
    .option('--users <file>', 'users file (hashed passwords)', 'var/broker-users.json')
    .action(async (opts) => {
      const { startBroker, BrokerUsers } = await import('../../broker/index.ts');
      const { createLogger } = await import('../../service-kit/index.ts');
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
      const { BrokerUsers } = await import('../../broker/index.ts');
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
      const { BrokerUsers } = await import('../../broker/index.ts');
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
      const { BrokerUsers } = await import('../../broker/index.ts');
      const list = BrokerUsers.load(resolve(opts.users)).list();
      if (opts.json) console.log(JSON.stringify(list));
      else for (const u of list) console.log(`${u.username}\t${u.role}\t${u.createdAt}`);
    });
}

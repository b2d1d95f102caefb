// `tianzhong device-gateway`: devices that connect by themselves (JSON over
// MQTT or HTTP POST, no edge agent) → UplinkBatches on the gateway's own branch.
import type { Command } from 'commander';
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CliError, int, profileDir, requireEnv, serviceOptions } from '../command-kit.ts';
import { untilSignal } from '../signals.ts';

const devicesFileSchema = z.strictObject({
  devices: z.array(z.strictObject({ deviceId: z.string().min(1), profile: z.string().min(1), district: z.string().min(1) })).min(1),
});

/** Token checks re-read the users file at most this often when a token is unknown (a device added with `broker users add`). */
const USERS_RELOAD_MS = 5000;

export function registerDeviceGatewayCommands(program: Command): void {
  serviceOptions(program.command('device-gateway').description('devices that connect by themselves: JSON over MQTT (tz/v1/dev/<id>/up/json) or HTTP POST /api/v1/direct/<id> → UplinkBatches'), 'direct')
    .requiredOption('--devices <file>', 'YAML: devices: [{deviceId, profile, district}]; each profile needs a json codec')
    .requiredOption('--users <file>', 'the broker users file: device tokens are the passwords of role `device` accounts (tianzhong broker users add <id> --role device)')
    .option('--data-dir <dir>', 'ledger (seq, repeats) and dead letters', 'var/device-gateway')
    .option('--max-payload <bytes>', 'largest JSON message', int(64, 1_048_576), 16 * 1024)
    .option('--max-per-minute <n>', 'messages one device may send per minute', int(1, 100_000), 60)
    .option('--retransmit-window <seconds>', 'identical bytes without a message id within this count as one message', int(0, 86_400), 60)
    .action(async (opts) => {
      const { startDeviceGateway } = await import('../../ingest/index.ts');
      const { loadProfiles, BUILTIN_PROFILE_DIR } = await import('../../device-profiles/index.ts');
      const { BrokerUsers } = await import('../../broker/index.ts');
      const { createLogger } = await import('../../service-kit/index.ts');
      let parsed;
      try {
        parsed = devicesFileSchema.parse(parseYaml(readFileSync(resolve(opts.devices), 'utf8')));
      } catch (err) {
        throw new CliError(`${opts.devices}: ${(err as Error).message}`);
      }
      const users = BrokerUsers.load(resolve(opts.users));
      let reloadedAt = Date.now();
      const dataDir = resolve(opts.dataDir);
      mkdirSync(dataDir, { recursive: true });
      const dir = profileDir(program);
      const running = await startDeviceGateway({
        brokerUrl: opts.broker, username: opts.username, password: requireEnv('TZ_MQTT_PASSWORD', 'the MQTT password'),
        profiles: loadProfiles(dir), profileDir: dir ?? BUILTIN_PROFILE_DIR, devices: parsed.devices,
        dataDir,
        maxPayloadBytes: opts.maxPayload, maxMessagesPerDevicePerMinute: opts.maxPerMinute, retransmitWindowMs: opts.retransmitWindow * 1000,
        http: { port: opts.httpPort }, log: createLogger('device-gateway'),
        verifyToken: async (deviceId, token) => {
          if (!users.has(deviceId) && Date.now() - reloadedAt > USERS_RELOAD_MS) {
            reloadedAt = Date.now();
            users.reload();
          }
          return (await users.authenticateAsync(deviceId, token))?.role === 'device';
        },
      });
      console.error(`device gateway running (POST ${running.httpUrl}/api/v1/direct/<deviceId>, metrics ${running.httpUrl}/metrics)`);
      await untilSignal(() => running.stop());
    });
}

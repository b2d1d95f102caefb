// Small helpers every command file uses: option parsers, secrets from the
// environment, the CLI's own error (printed without a stack).
import { Command, InvalidArgumentError } from 'commander';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** An error the user can fix; printed as `tianzhong: message`. */
export class CliError extends Error {}

export function int(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

/** Secrets come from the environment, never from the command line (it shows in `ps`). */
export function requireEnv(name: string, what: string): string {
  const value = process.env[name];
  if (!value) throw new CliError(`${what} is missing: set the environment variable ${name}`);
  return value;
}

/** Absolute path of a file the command will create, its folder made first. */
export function fileToCreate(file: string): string {
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true });
  return path;
}

/** Device profiles folder: the global --profiles (or TZ_PROFILE_DIR); the built-in profiles when unset. */
export function profileDir(cmd: Command): string | undefined {
  let root = cmd;
  while (root.parent) root = root.parent;
  const dir = root.opts<{ profiles?: string }>().profiles ?? process.env.TZ_PROFILE_DIR;
  return dir ? resolve(dir) : undefined;
}

/** The options every MQTT-connected cloud service takes. */
export function serviceOptions(cmd: Command, defaultUser: string): Command {
  return cmd
    .option('--broker <url>', 'MQTT broker URL (env TZ_MQTT_URL)', process.env.TZ_MQTT_URL ?? 'mqtt://127.0.0.1:1883')
    .option('--username <name>', 'MQTT service account (password from env TZ_MQTT_PASSWORD)', defaultUser)
    .option('--http-port <port>', '/metrics, /healthz (and API) port', int(0, 65535), 0);
}

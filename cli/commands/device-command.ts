// `tianzhong devices command <id> <name> --param k=v`: send a command to a
// field device through the centre's API (POST /api/v1/devices/:id/commands,
// operator or admin token from TZ_API_TOKEN) and wait for its answer.
import type { Command } from 'commander';
import { CliError, int } from '../command-kit.ts';

/** `k=v` pairs → params: `true`/`false` are flags, anything numeric a number. */
export function parseCommandParams(pairs: readonly string[]): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`--param wants name=value, not "${pair}"`);
    const name = pair.slice(0, eq);
    const text = pair.slice(eq + 1).trim();
    if (name in out) throw new CliError(`--param ${name} given twice`);
    if (text === 'true' || text === 'false') out[name] = text === 'true';
    else if (text !== '' && Number.isFinite(Number(text))) out[name] = Number(text);
    else throw new CliError(`--param ${name}: "${text}" is neither a number nor true/false`);
  }
  return out;
}

export interface DeviceCommandAnswer {
  commandId: string;
  state: string;
  result: string | null;
  detail: string | null;
}

/** POSTs the command; resolves with the API's view of it (state acked/failed/timeout, or sent if still waiting). */
export async function sendDeviceCommand(o: { api: string; token: string | undefined; deviceId: string; name: string; params: Record<string, number | boolean>; waitMs: number }): Promise<DeviceCommandAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  let res: Response;
  try {
    res = await fetch(`${o.api.replace(/\/+$/, '')}/api/v1/devices/${encodeURIComponent(o.deviceId)}/commands`, { method: 'POST', headers, body: JSON.stringify({ name: o.name, params: o.params, waitMs: o.waitMs }) });
  } catch (err) {
    throw new CliError(`cannot reach the API at ${o.api} (${(err as Error).message}); pass --api or TZ_RULES_URL`);
  }
  const body = (await res.json().catch(() => ({}))) as Partial<DeviceCommandAnswer> & { code?: string; message?: string };
  if (res.status === 401) throw new CliError('the API wants a token: set TZ_API_TOKEN (an operator or admin token: `tianzhong tokens add --role operator`)');
  if (!res.ok) throw new CliError(`${body.code ?? res.status}: ${body.message ?? 'request failed'}`);
  return body as DeviceCommandAnswer;
}

export function registerDeviceCommandCommands(program: Command): void {
  // The registry's own `devices` commands may already have made the group.
  const devices = program.commands.find((c) => c.name() === 'devices') ?? program.command('devices').description('field devices in the registry');
  devices
    .command('command <deviceId> <name>')
    .description('send a command from the device\'s profile (e.g. set_dimming, play_warning, set_valve) and wait for the gateway\'s answer')
    .option('--param <name=value>', 'a command parameter (repeat for more)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--wait <seconds>', 'how long to wait for the answer (0 = do not wait)', int(0, 60), 30)
    .option('--api <url>', 'API base URL (env TZ_RULES_URL)', process.env.TZ_RULES_URL ?? 'http://127.0.0.1:9103')
    .option('--json', 'JSON output')
    .action(async (deviceId: string, name: string, opts: { param: string[]; wait: number; api: string; json?: boolean }) => {
      const answer = await sendDeviceCommand({ api: opts.api, token: process.env.TZ_API_TOKEN, deviceId, name, params: parseCommandParams(opts.param), waitMs: opts.wait * 1000 });
      if (opts.json) console.log(JSON.stringify(answer, null, 2));
      else console.log(`${answer.commandId}\t${answer.state}${answer.result ? `\t${answer.result}` : ''}${answer.detail ? `\t${answer.detail}` : ''}`);
      if (answer.state === 'failed' || answer.state === 'timeout') process.exitCode = 2;
    });
}

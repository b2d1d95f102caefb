import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, delay, isTzError, SimulatedClock, type Clock } from '../service-kit/index.ts';
import { startStack, type RunningStack } from './stack.ts';
import { untilSignal } from './signals.ts';
import { clockMismatchLines, cityClockLine, startClock } from './start-clock.ts';
import { BUILTIN_PROFILE_DIR, loadProfiles } from '../device-profiles/index.ts';
import { writeMonthProfiles } from './city-month/month-profiles.ts';

export interface StartCommandOptions {
  devices: number;
  seed: number;
  pollIntervalMs: number;
  faultAfterSeconds: number;
  mqttPort: number;
  statusPort: number;
  varDir: string;
  json: boolean;
  profileDir?: string;
  /** `--sim-clock <start>@<speed>[@<wallAnchorMs>]` (else TZ_SIM_CLOCK): the whole stack on one simulated clock. */
  simClock?: string;
}

/** `tianzhong start` / `npm start`: the stack, a banner, a scripted fault, clean stop on Ctrl-C. */
export async function runStart(options: StartCommandOptions): Promise<void> {
  mkdirSync(options.varDir, { recursive: true });
  // A person at the terminal reads plain lines (warnings and errors as they
  // happen, the counters every 30 s); the full JSON log goes to a file.
  // `--json` keeps today's JSON on stdout for machines.
  const logFile = process.env.TZ_LOG_FILE ?? join(options.varDir, 'logs', 'tianzhong.log');
  if (!options.json) {
    process.env.TZ_LOG_FILE = logFile;
    process.env.TZ_LOG_TERMINAL = 'plain';
  }
  const log = createLogger('stack');
  const influxUrl = process.env.INFLUX_URL;
  const started = Date.now();
  // One clock for the whole stack: the wall clock, or a compressed run's simulated one (sim, agent, ingest, rules, cases, console).
  const clock = startClock(options.simClock);
  const profileDir = clock instanceof SimulatedClock ? compressedProfiles(options, clock) : options.profileDir;
  let stack: RunningStack;
  try {
    stack = await startStack({
      varDir: options.varDir, devices: options.devices, seed: options.seed, gatewayId: 'gw-0001', pollIntervalMs: options.pollIntervalMs,
      influx: influxUrl ? { url: influxUrl, username: process.env.INFLUX_USERNAME, password: process.env.INFLUX_PASSWORD, token: process.env.INFLUX_TOKEN } : undefined,
      database: process.env.INFLUX_DB ?? 'tianzhong', mqttPort: options.mqttPort, statusPort: options.statusPort, profileDir, log,
      ...(clock instanceof SimulatedClock ? { clock } : {}),
    });
  } catch (err) {
    // The stores of this --var were made on the other kind of clock: say what to do, plainly.
    if (!isTzError(err, 'TZ_CLOCK_MISMATCH')) throw err;
    log.error({ err }, 'refused: the stores were made with the other kind of clock');
    for (const line of clockMismatchLines(clock, options.varDir, influxUrl !== undefined)) console.error(line);
    process.exitCode = 1;
    return;
  }
  const abort = new AbortController();
  const timers: Array<Promise<void>> = [];
  // Ctrl-C is handled before the banner says it stops everything (a signal right after it stopped nothing before).
  const stopped = untilSignal(async () => {
    abort.abort();
    await Promise.all(timers);
    await stack.stop();
    console.error('all components stopped');
  });
  printBanner(stack, influxUrl === undefined, Date.now() - started, options.json ? undefined : logFile, clock);
  if (options.faultAfterSeconds > 0) timers.push(scriptedFault(stack, options.faultAfterSeconds, abort.signal));
  timers.push(options.json ? printCounters(stack, abort.signal, clock) : printPlainCounters(stack, abort.signal, clock));
  await stopped;
}

/**
 * At high speed a poll every few wall seconds is minutes of city time: the profiles' expected report
 * interval (and so the no-data rule, 3 missed reports) is raised to twice the poll period in city time,
 * as `tianzhong sim month` does, else every device would raise "no data". The originals are checked first.
 */
function compressedProfiles(options: StartCommandOptions, clock: SimulatedClock): string | undefined {
  const profiles = loadProfiles(options.profileDir);
  const pollCitySeconds = (options.pollIntervalMs * clock.speed) / 1000;
  const shortest = Math.min(...profiles.all().map((p) => p.reportIntervalSeconds));
  if (pollCitySeconds * 2 <= shortest) return options.profileDir;
  const dir = writeMonthProfiles(pollCitySeconds, join(options.varDir, 'sim-profiles'), options.profileDir ?? BUILTIN_PROFILE_DIR);
  console.error(`simulated clock: a poll every ${options.pollIntervalMs} ms is ${Math.round(pollCitySeconds)} s of city time; profiles expect a report at most every ${Math.ceil(pollCitySeconds * 2)} s (${dir})`);
  return dir;
}

function printBanner(stack: RunningStack, managedInflux: boolean, ms: number, logFile: string | undefined, clock: Clock): void {
  const buses = new Set(stack.sim.devices.map((d) => `${d.host}:${d.port}`));
  const lines = [
    '',
    `Tianzhong is running (started in ${(ms / 1000).toFixed(1)} s). Ctrl-C stops everything.`,
    `  InfluxDB        ${stack.influxUrl}  database "${stack.database}"${managedInflux ? '  (managed influxd, data under var/influxdb)' : ''}`,
    `  MQTT broker     ${stack.mqttUrl}     metrics ${stack.urls.broker}/metrics`,
    `  ingest          metrics ${stack.urls.ingest}/metrics`,
    `  rules + API     ${stack.urls.rules}/api/v1/alarms   ${stack.urls.rules}/api/v1/cases   ${stack.urls.rules}/open311/v2/services.json`,
    `  ops console     ${stack.urls.console}   sign in with the operator token below`,
    `  operator token  ${stack.operatorToken}   (for this run only; also for the API: Authorization: Bearer …, or TZ_API_TOKEN)`,
    `  edge agent      gw-0001 polling ${stack.sim.devices.length} devices on ${buses.size} Modbus TCP buses   metrics ${stack.urls.edgeAgent}/metrics`,
    `  pipeline        ${stack.urls.status}/api/v1/pipeline   (counters: readings, rejects, alarms, cases)`,
    ...registryLines(stack),
    `  Prometheus      ${stack.prometheusConfig}   (prometheus --config.file=… scrapes every component)`,
    ...(logFile ? [`  full log        ${logFile}   (JSON lines; here: warnings, errors and the counters every 30 s)`] : []),
    ...(clock instanceof SimulatedClock ? [`  clock           ${cityClockLine(clock)}`] : []),
    '',
  ];
  console.error(lines.join('\n'));
}

/** Opens the first manhole cover, then reports when it became an alarm and a case. */
async function scriptedFault(stack: RunningStack, afterSeconds: number, signal: AbortSignal): Promise<void> {
  await delay(afterSeconds * 1000, signal);
  if (signal.aborted) return;
  const cover = stack.sim.devices.find((d) => d.profile === 'manhole-cover');
  if (!cover) return;
  const before = stack.counters().alarmsRaised;
  stack.sim.injectFault(cover.deviceId, 'cover-open');
  const at = Date.now();
  console.error(`scripted fault: manhole cover ${cover.deviceId} (${cover.district}${cover.site ? `, ${cover.site.address}, 网格 ${cover.site.gridCell}` : ''}) opened`);
  const headers = { authorization: `Bearer ${stack.operatorToken}` };
  let alarmSeen = false;
  while (!signal.aborted && Date.now() - at < 120_000) {
    if (!alarmSeen && stack.counters().alarmsRaised > before) {
      alarmSeen = true;
      const res = await fetch(`${stack.urls.rules}/api/v1/alarms?deviceId=${cover.deviceId}&state=open`, { headers }).catch(() => null);
      const body = (await res?.json().catch(() => null)) as { alarms?: Array<{ id: unknown; ruleId: unknown; severity: unknown }> } | null;
      const alarm = body?.alarms?.[0];
      console.error(`scripted fault → alarm in ${((Date.now() - at) / 1000).toFixed(1)} s: ${JSON.stringify(alarm ? { id: alarm.id, ruleId: alarm.ruleId, severity: alarm.severity } : {})}`);
    }
    if (alarmSeen) {
      // A case opened now, or one still open from an earlier run (var/ persists) that absorbed the alarm.
      const res = await fetch(`${stack.urls.rules}/api/v1/cases?assetId=${cover.deviceId}&status=open`, { headers }).catch(() => null);
      const body = (await res?.json().catch(() => null)) as { cases?: Array<{ id: unknown; status: unknown; alarmIds?: unknown[] }> } | null;
      const found = body?.cases?.[0];
      if (found) {
        console.error(`scripted fault → case ${String(found.id)} (${String(found.status)}) in ${((Date.now() - at) / 1000).toFixed(1)} s: see ${stack.urls.console}#/cases`);
        return;
      }
    }
    await delay(250, signal);
  }
}

async function printCounters(stack: RunningStack, signal: AbortSignal, clock: Clock): Promise<void> {
  while (!signal.aborted) {
    await delay(10_000, signal);
    // `at` is the stack's time: city time under --sim-clock.
    if (!signal.aborted) console.log(JSON.stringify({ at: new Date(clock.now()).toISOString(), pipeline: stack.counters() }));
  }
}

async function printPlainCounters(stack: RunningStack, signal: AbortSignal, clock: Clock): Promise<void> {
  while (!signal.aborted) {
    await delay(30_000, signal);
    if (signal.aborted) return;
    const c = stack.counters();
    const time = clock instanceof SimulatedClock ? `${new Date().toTimeString().slice(0, 8)} (city ${cityClockLine(clock, 'time')})` : new Date().toTimeString().slice(0, 8);
    console.error(`${time} readings polled ${c.readingsPolled}, stored ${c.readingsWritten}, rejected ${c.readingsRejected} · alarms ${c.alarmsActive} active (${c.alarmsRaised} raised) · cases ${c.casesOpen} open (${c.casesOpened} opened)`);
  }
}

/** The registry line of the banner: what the simulated city put in it, and anything a person must know. */
function registryLines(stack: RunningStack): string[] {
  const { path, seeded } = stack.registry;
  const d = seeded.devices;
  const lines = [`  registry        ${path}   ${d.rows} devices (${d.created} new, ${d.updated} changed), ${seeded.assets.rows} assets   ${stack.urls.rules}/api/v1/devices`];
  if (seeded.retired.length > 0) lines.push(`                  retired ${seeded.retired.length} devices of earlier runs this city does not have`);
  if (seeded.keptRetired.length > 0) lines.push(`                  ${seeded.keptRetired.length} simulated devices are retired in the registry and not polled (retirement is final; delete ${path} to start afresh)`);
  return lines;
}

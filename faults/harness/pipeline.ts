import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { BrokerUsers } from '../../broker/index.ts';
import type { InfluxTarget } from '../../ingest/index.ts';
import { ComponentProcess, REPO_ROOT, answers, freePort, health, metricSum, startManagedInfluxd, type ManagedInfluxd } from '../../testing/index.ts';
import { GatewayLink } from './mqtt-tap.ts';
import { buildLedger, deadLetteredReadings, storedReadings, type Ledger } from './ledger.ts';

// A whole pipeline for one fault case, every part a real process on
// 127.0.0.1 and free ports: influxd, broker, ingest, rules, a simulated
// district and its edge agent, the agent's link to the broker through a
// GatewayLink (cuttable, tapped). Components are killed and restarted by name.

export interface PipelineOptions {
  name: string;
  devices?: number;
  pollIntervalMs?: number;
  gatewayId?: string;
  /** Node flags for the edge agent (e.g. a clock-skew preload). */
  agentNodeFlags?: string[];
  /** Extra environment for the edge agent. */
  agentEnv?: Record<string, string>;
  /** Extra keys merged into the edge agent's YAML config. */
  agentConfig?: Record<string, unknown>;
  /** Folder for the edge agent's disk queue (a small tmpfs for the disk-full case). */
  agentQueueDir?: string;
  withRules?: boolean;
  /** Extra arguments for the rules service (e.g. its access-token database). */
  rulesArgs?: string[];
  /** Record every Fastify route of broker, ingest and rules (route-recorder preload). */
  recordRoutes?: boolean;
  /** Run the broker with Redis persistence (survives a broker SIGKILL) when the broker supports it. */
  brokerRedis?: boolean;
}

export interface Secrets { ingest: string; rules: string; gateway: string; other: string; observer: string }

const pw = () => randomBytes(18).toString('base64url');

export class Pipeline {
  readonly dir: string;
  readonly gatewayId: string;
  readonly secrets: Secrets = { ingest: pw(), rules: pw(), gateway: pw(), other: pw(), observer: pw() };
  readonly ports = { mqtt: 0, broker: 0, ingest: 0, rules: 0, agent: 0, influx: 0, redis: 0 };
  influxd: ManagedInfluxd | null = null;
  readonly influx: InfluxTarget;
  readonly link: GatewayLink;
  readonly components = new Map<string, ComponentProcess>();
  /** Notes about features the pipeline could not use (missing CLI options). */
  readonly notes: string[] = [];
  private agentConfigFile = '';
  readonly deadLetterFile: string;

  constructor(readonly options: PipelineOptions) {
    this.dir = mkdtempSync(join(tmpdir(), `tz-fault-${options.name}-`));
    this.gatewayId = options.gatewayId ?? 'gw-fault-1';
    this.influx = { url: '', database: 'tz_faults' };
    this.link = new GatewayLink('127.0.0.1', () => this.ports.mqtt);
    this.deadLetterFile = join(this.dir, 'dead-letter.sqlite');
  }

  component(name: string): ComponentProcess {
    const c = this.components.get(name);
    if (!c) throw new Error(`no component ${name} in pipeline ${this.options.name}`);
    return c;
  }

  url(name: 'broker' | 'ingest' | 'rules' | 'agent'): string {
    return `http://127.0.0.1:${this.ports[name]}`;
  }

  async start(): Promise<void> {
    for (const k of ['mqtt', 'broker', 'ingest', 'rules', 'agent', 'influx', 'redis'] as const) this.ports[k] = await freePort();
    await this.startInfluxd();
    this.influx.url = `http://127.0.0.1:${this.ports.influx}`;

    const users = BrokerUsers.load(join(this.dir, 'users.json'));
    users.add('tz-ingest', this.secrets.ingest, 'service');
    users.add('tz-rules', this.secrets.rules, 'service');
    users.add(this.gatewayId, this.secrets.gateway, 'gateway');
    users.add('gw-fault-other', this.secrets.other, 'gateway');
    users.add('tz-observer', this.secrets.observer, 'service');
    users.save();

    const brokerArgs = ['broker', 'run', '--port', String(this.ports.mqtt), '--http-port', String(this.ports.broker), '--users', join(this.dir, 'users.json')];
    if (this.options.brokerRedis) {
      const configFlag = await cliHasOption(['broker', 'run'], '--config');
      const help = await cliHelp(['broker', 'run']);
      if (configFlag && /redis/i.test(help)) {
        await this.startRedis();
        const file = join(this.dir, 'broker.yaml');
        writeFileSync(file, toYaml({ persistence: { type: 'redis', url: `redis://127.0.0.1:${this.ports.redis}/0` } }));
        brokerArgs.push(configFlag, file);
      } else this.notes.push('broker has no Redis persistence option: its sessions and queued QoS 1 messages live in memory only');
    }
    this.add(new ComponentProcess({
      name: 'broker', args: brokerArgs, logFile: join(this.dir, 'broker.log'),
      ready: async () => (await health(this.url('broker')))?.ok === true,
    }));

    const mqttUrl = `mqtt://127.0.0.1:${this.ports.mqtt}`;
    this.add(new ComponentProcess({
      name: 'ingest',
      args: [...(await ingestCommand()), '--broker', mqttUrl, '--http-port', String(this.ports.ingest), '--influx-url', this.influx.url, '--database', this.influx.database, '--dead-letter', this.deadLetterFile, '--access-db', join(this.dir, 'access.sqlite')],
      env: { TZ_MQTT_PASSWORD: this.secrets.ingest }, logFile: join(this.dir, 'ingest.log'),
      ready: async () => (await health(this.url('ingest')))?.mqttConnected === true,
    }));
    if (this.options.withRules !== false) {
      this.add(new ComponentProcess({
        name: 'rules', args: ['rules', '--broker', mqttUrl, '--http-port', String(this.ports.rules), '--db', join(this.dir, 'rules.sqlite'), '--cases-db', join(this.dir, 'cases.sqlite'), '--access-db', join(this.dir, 'access.sqlite'), '--photos', join(this.dir, 'photos'), ...(this.options.rulesArgs ?? [])],
        env: { TZ_MQTT_PASSWORD: this.secrets.rules }, logFile: join(this.dir, 'rules.log'),
        ready: () => answers(`${this.url('rules')}/healthz`),
      }));
    }
    await this.link.open();
    this.agentConfigFile = join(this.dir, 'gateway.yaml');
    const simConfig = join(this.dir, 'sim-gateway.yaml');
    this.add(new ComponentProcess({
      name: 'sim', args: ['sim', '--devices', String(this.options.devices ?? 12), '--seed', '7', '--write-config', simConfig, '--gateway-id', this.gatewayId, '--broker', this.link.url],
      logFile: join(this.dir, 'sim.log'), ready: async () => existsSync(simConfig),
    }));
    this.add(new ComponentProcess({
      name: 'edge-agent', args: ['edge-agent', '--config', this.agentConfigFile], nodeFlags: this.options.agentNodeFlags,
      env: { TZ_GATEWAY_PASSWORD: this.secrets.gateway, ...this.options.agentEnv }, logFile: join(this.dir, 'edge-agent.log'),
      ready: async () => (await metricSum(this.url('agent'), 'tz_edge_broker_connected')) === 1,
    }));

    await this.component('broker').start();
    await this.component('ingest').start();
    if (this.components.has('rules')) await this.component('rules').start();
    await this.component('sim').start();
    await this.writeAgentConfig(simConfig);
    await this.component('edge-agent').start();
  }

  /** Where a component's routes are recorded (recordRoutes). */
  routesFile(name: string): string {
    return join(this.dir, `routes-${name}.jsonl`);
  }

  private add(c: ComponentProcess): void {
    if (this.options.recordRoutes && ['broker', 'ingest', 'rules'].includes(c.spec.name)) {
      c.spec.nodeFlags = ['--import', 'tsx', '--import', join(REPO_ROOT, 'faults/harness/route-recorder.ts'), ...(c.spec.nodeFlags ?? [])];
      c.spec.env = { ...c.spec.env, TZ_FAULT_ROUTES_FILE: this.routesFile(c.spec.name) };
    }
    this.components.set(c.spec.name, c);
  }

  private async writeAgentConfig(simConfig: string): Promise<void> {
    const config = parseYaml(readFileSync(simConfig, 'utf8')) as Record<string, unknown>;
    config.pollIntervalMs = this.options.pollIntervalMs ?? 250;
    config.batch = { maxReadings: 50, maxDelayMs: 200 };
    config.http = { host: '127.0.0.1', port: this.ports.agent };
    const queueKey = await agentQueueKey();
    if (queueKey) config[queueKey.key] = queueKey.value(this.options.agentQueueDir ?? this.dir);
    else this.notes.push('edge agent has no disk queue option: unacknowledged readings live in memory only');
    Object.assign(config, this.options.agentConfig ?? {});
    writeFileSync(this.agentConfigFile, toYaml(config));
  }

  async startInfluxd(): Promise<void> {
    this.influxd = await startManagedInfluxd({ dataDir: join(this.dir, 'influxdb'), port: this.ports.influx });
  }

  /** SIGKILL of influxd (it runs in its own process group, pid known). */
  async killInfluxd(): Promise<void> {
    const pid = this.influxd?.pid;
    if (!pid) return;
    process.kill(pid, 'SIGKILL');
    await waitUntil('influxd gone', async () => !(await answers(`${this.influx.url}/ping`)), 10_000);
    this.influxd = null;
  }

  private async startRedis(): Promise<void> {
    // redis-server is not a tianzhong command: run it directly, persisted with an fsync per write.
    const { spawn } = await import('node:child_process');
    const child = spawn('redis-server', ['--port', String(this.ports.redis), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
    this.redisChild = child;
    await waitUntil('redis up', () => portOpen(this.ports.redis), 10_000);
  }
  private redisChild: import('node:child_process').ChildProcess | null = null;

  /** Everything the gateway sent versus what InfluxDB and the dead-letter store hold. */
  async ledger(gatewayId = this.gatewayId): Promise<Ledger> {
    const stored = await storedReadings(this.influx, gatewayId);
    const tapped = this.link.readings;
    const ours = new Set(tapped.map((t) => t.deviceId));
    return buildLedger(tapped, stored, deadLetteredReadings(this.deadLetterFile).filter((d) => ours.has(d.deviceId)));
  }

  /** Readings stored with a device time after `sinceMs`. */
  async storedSince(sinceMs: number): Promise<number> {
    const rows = await storedReadings(this.influx, this.gatewayId);
    return rows.filter((r) => r.timestampMs > sinceMs).length;
  }

  /**
   * Ends the run so the ledger is exact: freeze the simulated devices (no new
   * readings), wait until the agent's queue is empty, ingest has nothing
   * pending and every reading seen on the wire is stored or dead-lettered.
   */
  async drain(timeoutMs = 45_000): Promise<Ledger> {
    this.component('sim').signal('SIGSTOP');
    const deadline = Date.now() + timeoutMs;
    await waitUntil('edge queue empty', async () => (await metricSum(this.url('agent'), 'tz_edge_queue_depth')) === 0, timeoutMs).catch(() => undefined);
    let ledger = await this.ledger();
    while (Date.now() < deadline) {
      const h = await health(this.url('ingest'));
      if (ledger.lost === 0 && h !== null && Number(h.pending ?? 0) === 0) break;
      await new Promise((r) => setTimeout(r, 500));
      ledger = await this.ledger();
    }
    return ledger;
  }

  /** Ingest's counter of rejected readings by reason, read from /metrics. */
  ingestMetric(name: string, labels: Record<string, string> = {}): Promise<number> {
    return metricSum(this.url('ingest'), name, labels);
  }

  async stop(keepDir = false): Promise<void> {
    const order = ['edge-agent', 'sim', 'rules', 'ingest', 'broker'];
    for (const name of order) {
      const c = this.components.get(name);
      if (!c) continue;
      if (name === 'sim') c.signal('SIGCONT');
      await c.stop().catch(() => undefined);
      c.close();
    }
    await this.link.close();
    await this.influxd?.stop().catch(() => undefined);
    if (this.redisChild) {
      this.redisChild.kill('SIGKILL');
      this.redisChild = null;
    }
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }

  logTails(): string {
    return [...this.components.values()].map((c) => `--- ${c.spec.name}\n${c.logTail(12)}`).join('\n');
  }
}

export async function waitUntil(what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 100): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await Promise.resolve(probe()).catch(() => false)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function portOpen(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** `ingest run` once ingest grew subcommands, plain `ingest` before. */
async function ingestCommand(): Promise<string[]> {
  return /^\s+run \[options\]/m.test(await cliHelp(['ingest'])) ? ['ingest', 'run'] : ['ingest'];
}

const helpCache = new Map<string, string>();
/** The CLI's --help text for a command (cached): how the suite adapts to options other issues add. */
export async function cliHelp(command: string[]): Promise<string> {
  const key = command.join(' ');
  const cached = helpCache.get(key);
  if (cached !== undefined) return cached;
  const { execFile } = await import('node:child_process');
  const text = await new Promise<string>((resolve) => {
    execFile(process.execPath, [join(REPO_ROOT, 'bin/tianzhong.js'), ...command, '--help'], { cwd: REPO_ROOT }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
  });
  helpCache.set(key, text);
  return text;
}

/** The first of `names` the command's --help lists, or null. */
export async function cliHasOption(command: string[], ...names: string[]): Promise<string | null> {
  const help = await cliHelp(command);
  return names.find((n) => new RegExp(`(^|[\\s,])${n.replace(/[-]/g, '\\-')}([\\s,=<]|$)`, 'm').test(help)) ?? null;
}

/** How the edge agent's config names its disk queue, if it has one (read from its schema). */
async function agentQueueKey(): Promise<{ key: string; value: (dir: string) => unknown } | null> {
  const { edgeAgentConfigSchema } = await import('../../edge-agent/index.ts');
  const shape = (edgeAgentConfigSchema as unknown as { shape?: Record<string, unknown> }).shape ?? {};
  if ('dataDir' in shape) return { key: 'dataDir', value: (dir) => dir };
  return null;
}

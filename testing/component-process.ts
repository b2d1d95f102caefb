import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, existsSync, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

// One component of the pipeline as a real child process started through the
// tianzhong CLI (`node bin/tianzhong.js <command> …`), so a fault case breaks
// exactly what an operator runs: SIGKILL is a crash, not a polite stop.

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const LAUNCHER = join(REPO_ROOT, 'bin/tianzhong.js');

/** Every child still alive: killed when the suite's process exits, whatever the reason. */
const living = new Set<ChildProcess>();
let reaperInstalled = false;

/**
 * Installed on the first start, not on import: the testing room is imported
 * by processes that handle their own signals (`npm start` borrows the managed
 * influxd), and an exit-on-SIGTERM here would cut their graceful stop short.
 */
function installReaper(): void {
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.once('exit', () => {
    for (const child of living) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of living) child.kill('SIGKILL');
      process.exit(130);
    });
  }
}

export interface ComponentSpec {
  /** Short name in logs and results: broker, ingest, rules, sim, edge-agent. */
  name: string;
  /** CLI arguments after `tianzhong`. */
  args: string[];
  /** Extra environment (secrets go here, never on the command line). */
  env?: Record<string, string>;
  /** Extra node flags before the launcher, e.g. `--import` of a fault preload. */
  nodeFlags?: string[];
  /** Resolves (truthy) once the component is ready; polled every 100 ms. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
  logFile: string;
}

export class ComponentProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);
  private log: WriteStream | null = null;
  /** Exit codes of earlier lives (a crash we did not cause shows here). */
  readonly exits: Array<{ code: number | null; signal: NodeJS.Signals | null; expected: boolean }> = [];
  private expectingExit = false;

  constructor(readonly spec: ComponentSpec) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Spawns the process and waits until `ready()`; throws with the log tail if it dies or times out. */
  async start(): Promise<void> {
    if (this.child) throw new Error(`${this.spec.name} is already running`);
    installReaper();
    this.log ??= createWriteStream(this.spec.logFile, { flags: 'a' });
    this.log.write(`\n--- start ${new Date().toISOString()} ${this.spec.args.join(' ')}\n`);
    const child = spawn(process.execPath, [...(this.spec.nodeFlags ?? []), LAUNCHER, ...this.spec.args], {
      cwd: REPO_ROOT,
      env: { ...process.env, TZ_LOG_LEVEL: process.env.TZ_FAULT_LOG_LEVEL ?? 'info', ...this.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    living.add(child);
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    let dead = false;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        dead = true;
        living.delete(child);
        this.exits.push({ code, signal, expected: this.expectingExit });
        this.expectingExit = false;
        if (this.child === child) this.child = null;
        resolve(code);
      });
    });
    const deadline = Date.now() + (this.spec.readyTimeoutMs ?? 30_000);
    for (;;) {
      if (dead) throw new Error(`${this.spec.name} exited during start-up; log: ${this.spec.logFile}\n${this.logTail()}`);
      if (await this.spec.ready().catch(() => false)) return;
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`${this.spec.name} not ready within ${this.spec.readyTimeoutMs ?? 30_000} ms; log: ${this.spec.logFile}\n${this.logTail()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Sends a signal and, for SIGKILL/SIGTERM, waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', graceMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.expectingExit = true;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGSTOP / SIGCONT: freeze a process without killing it. */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** A polite stop (SIGTERM, SIGKILL after the grace time). */
  stop(): Promise<void> {
    return this.kill('SIGTERM');
  }

  logTail(lines = 25): string {
    if (!existsSync(this.spec.logFile)) return '';
    return readFileSync(this.spec.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }

  close(): void {
    this.log?.end();
    this.log = null;
  }
}

/** True when `url` answers HTTP at all (any status): the process is up and serving. */
export async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** JSON body of /healthz, or null when the component does not answer. */
export async function health(baseUrl: string): Promise<Record<string, unknown> | null> {
  try {
    const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
    return (await res.json()) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Sum of a Prometheus metric's samples whose labels include `labels` (0 when absent). */
export async function metricSum(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.text());
  return sumMetric(text, name, labels);
}

export function sumMetric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[4]);
  }
  return sum;
}

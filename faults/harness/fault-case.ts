import type { Ledger } from './ledger.ts';
import { Pipeline, waitUntil, type PipelineOptions } from './pipeline.ts';

// What a fault case is and what it reports: one line per case —
// fault, sent, stored, duplicates, lost, recovery time — and the reasons it failed.

export interface FaultResult {
  fault: string;
  sent: number | null;
  stored: number | null;
  duplicates: number | null;
  lost: number | null;
  /** From the repair (restart, link restored) until fresh readings are stored again. */
  recoveryMs: number | null;
  /** Empty = passed. Each entry says what went wrong, precisely. */
  problems: string[];
  /** Facts worth reading even when it passed (explained losses, counters). */
  notes: string[];
}

export interface FaultCase {
  name: string;
  /** Long cases (the 2-minute link cut) run alongside the short ones. */
  long?: boolean;
  /** Scale-out cases (two broker nodes on Redis; over 60 s each): run only with `--scale`. */
  scale?: boolean;
  /** One result, or several (a group of checks sharing one pipeline). */
  run(): Promise<FaultResult | FaultResult[]>;
}

export function formatResult(r: FaultResult): string {
  const n = (v: number | null) => (v === null ? '-' : String(v));
  const status = r.problems.length === 0 ? 'PASS' : 'FAIL';
  const recovery = r.recoveryMs === null ? '-' : `${(r.recoveryMs / 1000).toFixed(1)}s`;
  const tail = [...r.problems.map((p) => `FAIL: ${p}`), ...r.notes].join('; ');
  return `${status} fault=${r.fault} sent=${n(r.sent)} stored=${n(r.stored)} duplicates=${n(r.duplicates)} lost=${n(r.lost)} recovery=${recovery}${tail ? ` | ${tail}` : ''}`;
}

/** The ledger's own verdict: every reading sent is stored once or dead-lettered with a reason. */
export function ledgerProblems(ledger: Ledger, explainedLoss = 0): string[] {
  const problems: string[] = [];
  if (ledger.sent === 0) problems.push('no readings were sent: the pipeline did not run');
  if (ledger.lost > explainedLoss) problems.push(`${ledger.lost - explainedLoss} readings lost without a counted reason (e.g. ${ledger.missingSample.join(', ')})`);
  if (ledger.duplicates > 0) problems.push(`${ledger.duplicates} duplicate points in InfluxDB (same device and seq at different times)`);
  if (ledger.seqReused > 0) problems.push(`${ledger.seqReused} readings reused a (device, seq) with a new timestamp: the per-device seq went back (not persisted across a restart?)`);
  return problems;
}

export function resultOf(fault: string, ledger: Ledger | null, recoveryMs: number | null, problems: string[], notes: string[]): FaultResult {
  return {
    fault, sent: ledger?.sent ?? null, stored: ledger?.stored ?? null, duplicates: ledger?.duplicates ?? null, lost: ledger?.lost ?? null,
    recoveryMs, problems, notes,
  };
}

/** Runs `body` on a fresh pipeline, always stops it, turns a thrown error into a failed result with log tails. */
export async function withPipeline(fault: string, options: Omit<PipelineOptions, 'name'>, body: (p: Pipeline) => Promise<FaultResult>): Promise<FaultResult> {
  const pipeline = new Pipeline({ name: fault, ...options });
  let result: FaultResult;
  try {
    await pipeline.start();
    result = await body(pipeline);
  } catch (err) {
    result = resultOf(fault, null, null, [`${(err as Error).message.split('\n')[0]}`], []);
    if (process.env.TZ_FAULT_VERBOSE) console.error(`${fault}: ${(err as Error).stack}\n${pipeline.logTails()}`);
  }
  result.notes.push(...pipeline.notes);
  // Components that died when nobody killed them are failures even if the counts match.
  for (const c of pipeline.components.values()) {
    const crashes = c.exits.filter((e) => !e.expected);
    if (crashes.length > 0) result.problems.push(`${c.spec.name} exited unexpectedly (${crashes.map((e) => e.signal ?? `code ${e.code}`).join(', ')}); log ${c.spec.logFile}`);
  }
  const keep = result.problems.length > 0 && Boolean(process.env.TZ_FAULT_KEEP);
  await pipeline.stop(keep);
  if (keep) result.notes.push(`files kept in ${pipeline.dir}`);
  return result;
}

/** Waits until readings flow end to end: something stored with a device time after `sinceMs`. */
export function untilFreshReadingStored(p: Pipeline, sinceMs: number, timeoutMs = 60_000): Promise<number> {
  return waitUntil('a fresh reading stored in InfluxDB', async () => (await p.storedSince(sinceMs)) > 0, timeoutMs, 200);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The common shape of a crash case: run, SIGKILL `kill()` mid-stream, stay
 * down `downMs`, `restart()`, measure recovery, run on, drain and count.
 */
export async function crashAndRestart(
  p: Pipeline,
  fault: string,
  steps: { kill: () => Promise<void>; restart: () => Promise<void>; downMs?: number; extraChecks?: () => Promise<string[]> },
): Promise<FaultResult> {
  await untilFreshReadingStored(p, 0, 30_000);
  await sleep(1_500); // mid-stream: batches in flight at every hop
  await steps.kill();
  await sleep(steps.downMs ?? 3_000);
  const restartedAt = Date.now();
  await steps.restart();
  const recoveryMs = (Date.now() - restartedAt) + (await untilFreshReadingStored(p, restartedAt, 60_000));
  await sleep(1_500);
  const ledger = await p.drain();
  const problems = [...ledgerProblems(ledger), ...((await steps.extraChecks?.()) ?? [])];
  const notes = ledger.resent > 0 ? [`${ledger.resent} readings resent after the fault, collapsed by the idempotent write`] : [];
  return resultOf(fault, ledger, recoveryMs, problems, notes);
}

import type { ProfileCatalogue } from '../device-profiles/index.ts';
import { detectInfluxApi, systemClock, TzError, type Clock, type InfluxTarget } from '../service-kit/index.ts';
import type { DeadLetterRecord, DeadLetterStore } from './dead-letter-store.ts';
import { InfluxLineWriter } from './influx-writer.ts';
import { decodeStep } from './steps/decode.ts';
import { toLine } from './steps/to-lines.ts';
import { DEFAULT_TIMESTAMP_WINDOW, validateStep, type TimestampWindow } from './steps/validate.ts';

export interface ReplayOptions {
  store: DeadLetterStore;
  profiles: ProfileCatalogue;
  /** Where to write; for 1.x set retentionPolicy to ingest's raw policy ('raw' by default). */
  influx: InfluxTarget;
  /** Only these letters; else every live letter (optionally of one reason). */
  ids?: number[];
  reason?: string;
  limit?: number;
  /** Only check what would pass now; write nothing, mark nothing. */
  dryRun?: boolean;
  window?: Partial<TimestampWindow>;
  clock?: Clock;
  progress?: (done: number, total: number) => void;
}

export interface ReplayReport {
  examined: number;
  /** Letters whose every reading passed and is now durable in InfluxDB (marked replayed). */
  replayed: number;
  readingsWritten: number;
  /** Letters still refused, by the reason they are refused for now. */
  stillRefused: Record<string, number>;
}

interface Candidate {
  letter: DeadLetterRecord;
  lines: string[];
}

/**
 * Re-runs dead letters through decode and validate with the profiles as they
 * are now (an operator fixed a range, added a class) and writes what passes.
 * A letter is marked replayed only when all its readings were written; the
 * rest keep their place with the reason they still fail. Writing is
 * idempotent (device timestamps), so a replay run twice does no harm.
 */
export async function replayDeadLetters(options: ReplayOptions): Promise<ReplayReport> {
  const clock = options.clock ?? systemClock;
  const window = { ...DEFAULT_TIMESTAMP_WINDOW, ...options.window };
  const letters = options.ids
    ? options.ids.map((id) => {
        const letter = options.store.get(id);
        if (!letter) throw new TzError('TZ_REQUEST_INVALID', `no dead letter ${id}`);
        return letter;
      })
    : options.store.list({ reason: options.reason, limit: options.limit ?? 100_000 });
  const report: ReplayReport = { examined: letters.length, replayed: 0, readingsWritten: 0, stillRefused: {} };
  const refuse = (letter: DeadLetterRecord, reason: string, detail: string) => {
    report.stillRefused[reason] = (report.stillRefused[reason] ?? 0) + 1;
    if (!options.dryRun) options.store.markReplayFailed(letter.id, `${reason}: ${detail}`);
  };

  const candidates: Candidate[] = [];
  for (const letter of letters) {
    const decoded = decodeStep(letter.topic, letter.payload);
    if (!decoded.ok) {
      refuse(letter, decoded.letter.reason, decoded.letter.detail);
      continue;
    }
    if (decoded.batch.readings.length === 0) {
      refuse(letter, 'not-replayable', 'device status events feed the device registry only; they are kept for the record');
      continue;
    }
    const { accepted, rejected } = validateStep(decoded.batch.readings, { profiles: options.profiles, window, clock });
    const [firstRefusal] = rejected;
    if (firstRefusal) {
      refuse(letter, firstRefusal.reason, firstRefusal.detail);
      continue;
    }
    candidates.push({ letter, lines: accepted.map((a) => toLine(a, decoded.gatewayId)) });
  }
  if (options.dryRun || candidates.length === 0) {
    if (options.dryRun) report.replayed = candidates.length;
    return report;
  }

  const api = await detectInfluxApi(options.influx);
  const writer = new InfluxLineWriter(options.influx, api, { maxBatchLines: 5000, gzip: false, concurrency: 1 });
  try {
    let done = 0;
    for (let i = 0; i < candidates.length; ) {
      const group: Candidate[] = [];
      let lines = 0;
      for (let next = candidates[i]; next !== undefined && (group.length === 0 || lines + next.lines.length <= 5000); next = candidates[i]) {
        group.push(next);
        lines += next.lines.length;
        i += 1;
      }
      const outcome = await writer.send(group.flatMap((c) => c.lines).join('\n'));
      if (outcome.ok) {
        for (const c of group) accept(c);
      } else if (outcome.retryable) {
        throw new TzError('TZ_INFLUX_UNREACHABLE', `InfluxDB at ${options.influx.url} did not take the replay (${outcome.error.message}); ${report.replayed} letters were replayed before that, run the replay again when it is back`, { retryable: true });
      } else {
        // Refused for good: find which letters, one request each.
        for (const c of group) {
          const single = await writer.send(c.lines.join('\n'));
          if (single.ok) accept(c);
          else refuse(c.letter, 'influx-rejected', single.error.message);
        }
      }
      done += group.length;
      options.progress?.(done, candidates.length);
    }
  } finally {
    await writer.close();
  }
  return report;

  function accept(c: Candidate): void {
    options.store.markReplayed(c.letter.id);
    report.replayed += 1;
    report.readingsWritten += c.lines.length;
  }
}

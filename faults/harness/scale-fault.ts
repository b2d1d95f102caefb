import { scaleFaultRun, type ScaleFault, type ScaleResult } from '../scale-run.ts';
import type { FaultResult } from './fault-case.ts';

// A Redis fault on the scale-out pipeline (two broker nodes on one Redis, two
// ingest and two rules instances in `$share` groups, InfluxDB): the run's own
// ledger — sent per device by seq, stored in InfluxDB — must end with sent =
// stored. These take longer than 60 s on 2 cores (seven processes start), so
// `faults/run.ts` runs them only when asked: `npm run test:faults -- --scale`.
const SECONDS = Number(process.env.TZ_FAULT_SCALE_S ?? 10);
const GATEWAYS = Number(process.env.TZ_FAULT_SCALE_GATEWAYS ?? 4);

export async function scaleFaultCase(name: string, fault: ScaleFault): Promise<FaultResult> {
  const notes: string[] = [];
  const r: ScaleResult = await scaleFaultRun({ seconds: SECONDS, gateways: GATEWAYS, fault }, (line) => {
    if (process.env.TZ_FAULT_VERBOSE) console.error(`${name}: ${line}`);
  });
  const problems: string[] = [];
  if (r.sent === 0) problems.push('no readings were sent: the pipeline did not run');
  if (r.lost > 0) problems.push(`${r.lost} readings not stored (first hop that lost batches: ${r.lossHop ?? 'none counted'}; by gateway ${JSON.stringify(r.lostByGateway ?? {})})`);
  if (r.duplicates > 0) problems.push(`${r.duplicates} more points than readings sent`);
  const stream = r.redisStream ?? [];
  const gaps = stream.reduce((a, s) => a + s.trimmedBeforeRead, 0);
  if (gaps > 0) problems.push(`${gaps} messages trimmed from the Redis stream before a node read them`);
  const resumes = stream.reduce((a, s) => a + s.resumes, 0);
  if (!(resumes > 0)) problems.push('no broker node resumed its Redis stream: the fault did not take effect');
  notes.push(`stream ${stream.map((s) => `${s.node} resumes=${s.resumes} duplicates-skipped=${s.duplicatesSkipped}`).join(', ')}`);
  notes.push(`${r.messagesPerS} msg/s, drain ${r.drainS}s, slow consumers ${r.slowConsumers}`);
  return { fault: name, sent: r.sent, stored: r.stored, duplicates: r.duplicates, lost: r.lost, recoveryMs: Math.round(r.drainS * 1000), problems, notes };
}

import { join } from 'node:path';
import { REPO_ROOT } from '../../testing/index.ts';
import { ledgerProblems, resultOf, sleep, withPipeline, type FaultCase, type FaultResult } from '../harness/fault-case.ts';
import { waitUntil } from '../harness/pipeline.ts';

// A gateway whose clock is far off: its readings carry device times in the
// future or the far past. They must be flagged — dead-lettered with a reason —
// and never written to InfluxDB at the wrong time.
const DAY = 86_400_000;

function skewCase(name: string, skewMs: number): FaultCase {
  return {
    name,
    run: () => withPipeline(name, { agentNodeFlags: ['--import', 'tsx', '--import', join(REPO_ROOT, 'faults/harness/skewed-clock.ts')], agentEnv: { TZ_FAULT_CLOCK_SKEW_MS: String(skewMs) } }, async (p): Promise<FaultResult> => {
      await waitUntil('skewed readings on the wire', () => p.link.readings.length >= 100, 30_000);
      await sleep(1_000);
      const ledger = await p.drain();
      const problems = ledgerProblems(ledger);
      if (ledger.stored > 0) problems.push(`${ledger.stored} readings with a clock ${skewMs > 0 ? 'ahead' : 'behind'} by ${Math.round(Math.abs(skewMs) / DAY)} days were written to InfluxDB at the wrong time instead of being flagged`);
      const reasons = Object.keys(ledger.deadLetterReasons);
      if (ledger.deadLettered > 0 && !reasons.every((r) => /time|clock|skew/.test(r))) problems.push(`dead-lettered with reasons ${reasons.join(', ')}, none naming the timestamp`);
      return resultOf(name, ledger, null, problems, [`dead-lettered ${ledger.deadLettered} (${reasons.map((r) => `${r}=${ledger.deadLetterReasons[r]}`).join(', ') || 'none'})`]);
    }),
  };
}

export const faultCases: FaultCase[] = [skewCase('clock-skew-future', 2 * DAY), skewCase('clock-skew-past', -3 * 365 * DAY)];

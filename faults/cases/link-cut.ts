import { metricSum } from '../../testing/index.ts';
import { ledgerProblems, resultOf, sleep, untilFreshReadingStored, withPipeline, type FaultCase } from '../harness/fault-case.ts';
import { waitUntil } from '../harness/pipeline.ts';

// The gateway's link to the broker is cut for 2 minutes (connections reset,
// the broker unreachable) and restored: the agent keeps polling into its
// store-and-forward queue and sends the backlog afterwards. Recovery time =
// from the restore until every reading polled so far is stored.
const CUT_MS = Number(process.env.TZ_FAULT_LINK_CUT_S ?? 120) * 1000;

export const faultCase: FaultCase = {
  name: 'link-cut-2min',
  long: true,
  run: () => withPipeline('link-cut-2min', { pollIntervalMs: 500 }, async (p) => {
    await untilFreshReadingStored(p, 0, 30_000);
    await sleep(1_000);
    await p.link.cut();
    await sleep(CUT_MS);
    const polledByNow = await metricSum(p.url('agent'), 'tz_edge_readings_total');
    await p.link.restore();
    const caughtUpMs = await waitUntil('backlog stored', async () => (await p.ledger()).stored >= polledByNow, 120_000, 250);
    const ledger = await p.drain();
    const problems = ledgerProblems(ledger);
    const dropped = await metricSum(p.url('agent'), 'tz_edge_readings_dropped_total');
    if (dropped > 0) problems.push(`the agent dropped ${dropped} readings during a ${CUT_MS / 1000} s cut`);
    return resultOf('link-cut-2min', ledger, caughtUpMs, problems, [`${polledByNow} readings polled by the restore; link down ${CUT_MS / 1000} s`]);
  }),
};

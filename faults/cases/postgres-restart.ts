import { metricSum, startPostgres } from '../../testing/index.ts';
import { crashAndRestart, withPipeline, type FaultCase, type FaultResult } from '../harness/fault-case.ts';

// The PostgreSQL server the rules service keeps its alarms, outbox and rules
// in (--rules-db) and its cases in (--cases-db) is stopped mid-stream and
// started again (issue 20). Nothing is lost: readings still reach InfluxDB
// (ingest does not need the database), and the rules service holds the PUBACK
// of every batch whose alarm changes it could not commit, retrying until the
// server is back, so it evaluated every reading once the server returned,
// dropped none for a store failure, and its outbox drained.
export const faultCase: FaultCase = {
  name: 'postgres-restart',
  run: async (): Promise<FaultResult> => {
    const server = await startPostgres();
    try {
      return await withPipeline('postgres-restart', { rulesArgs: ['--rules-db', server.url, '--cases-db', server.url] }, (p) => crashAndRestart(p, 'postgres-restart', {
        kill: () => server.stopServer(),
        restart: () => server.startServer(),
        downMs: 4_000,
        extraChecks: async () => {
          const problems: string[] = [];
          const ledger = await p.ledger();
          const rules = p.url('rules');
          const evaluated = await metricSum(rules, 'tz_rules_readings_evaluated_total');
          const rejected = await metricSum(rules, 'tz_rules_rejected_total');
          const storeFailed = await metricSum(rules, 'tz_rules_rejected_total', { reason: 'store-failed' });
          // The gauge answers the depth read at the previous scrape (the store is asynchronous): poll, bounded.
          let pending = await metricSum(rules, 'tz_rules_outbox_pending');
          for (let i = 0; i < 50 && pending > 0; i++) {
            await new Promise((resolve) => setTimeout(resolve, 200));
            pending = await metricSum(rules, 'tz_rules_outbox_pending');
          }
          if (evaluated + rejected < ledger.sent) problems.push(`rules evaluated ${evaluated} and rejected ${rejected} readings, fewer than the ${ledger.sent} sent: readings were lost while PostgreSQL was away`);
          if (storeFailed > 0) problems.push(`rules dropped ${storeFailed} readings as store-failed instead of waiting for PostgreSQL`);
          if (pending > 0) problems.push(`${pending} alarm events still wait in the rules outbox after PostgreSQL returned`);
          return problems;
        },
      }));
    } finally {
      await server.stop();
    }
  },
};

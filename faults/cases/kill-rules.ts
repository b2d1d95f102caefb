import { metricSum } from '../../testing/index.ts';
import { crashAndRestart, withPipeline, type FaultCase } from '../harness/fault-case.ts';

// SIGKILL of the rules service mid-stream: storage is not affected, and the
// readings published while rules was down are evaluated after its restart
// (persistent session, QoS 1), so no alarm can be missed by the crash.
export const faultCase: FaultCase = {
  name: 'kill-rules',
  run: () => withPipeline('kill-rules', {}, (p) => {
    let publishedWhileDown = 0;
    let tappedAtKill = 0;
    return crashAndRestart(p, 'kill-rules', {
      kill: async () => {
        await p.component('rules').kill('SIGKILL');
        tappedAtKill = p.link.readings.length;
      },
      restart: async () => {
        publishedWhileDown = p.link.readings.length - tappedAtKill;
        await p.component('rules').start();
      },
      extraChecks: async () => {
        const evaluated = await metricSum(p.url('rules'), 'tz_rules_readings_evaluated_total');
        const rejected = await metricSum(p.url('rules'), 'tz_rules_rejected_total');
        if (evaluated + rejected < publishedWhileDown) {
          return [`rules evaluated ${evaluated} readings after its restart, fewer than the ${publishedWhileDown} published while it was down: its session lost them`];
        }
        return [];
      },
    });
  }),
};

import { crashAndRestart, sleep, withPipeline, type FaultCase } from '../harness/fault-case.ts';

// SIGKILL of the broker mid-stream: QoS 1 messages it acknowledged to the
// gateway but had not yet delivered to ingest must survive (persistence).
export const faultCase: FaultCase = {
  name: 'kill-broker',
  run: () => withPipeline('kill-broker', { brokerRedis: true }, (p) => crashAndRestart(p, 'kill-broker', {
    // Ingest frozen first, so the broker holds acknowledged-but-undelivered QoS 1 messages when it dies.
    kill: async () => {
      p.component('ingest').signal('SIGSTOP');
      await sleep(1_500);
      await p.component('broker').kill('SIGKILL');
    },
    restart: async () => {
      await p.component('broker').start();
      p.component('ingest').signal('SIGCONT');
    },
  })),
};

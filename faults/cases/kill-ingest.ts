import { crashAndRestart, withPipeline, type FaultCase } from '../harness/fault-case.ts';

// SIGKILL of ingest mid-stream: messages it had not acknowledged are
// redelivered from its persistent session; a replay overwrites itself.
export const faultCase: FaultCase = {
  name: 'kill-ingest',
  run: () => withPipeline('kill-ingest', {}, (p) => crashAndRestart(p, 'kill-ingest', {
    kill: () => p.component('ingest').kill('SIGKILL'),
    restart: () => p.component('ingest').start(),
  })),
};

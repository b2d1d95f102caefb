import { crashAndRestart, withPipeline, type FaultCase } from '../harness/fault-case.ts';

// SIGKILL of the gateway's edge agent mid-stream: readings in its disk queue
// must be sent after the restart, and each device's seq must continue.
export const faultCase: FaultCase = {
  name: 'kill-edge-agent',
  run: () => withPipeline('kill-edge-agent', {}, (p) => crashAndRestart(p, 'kill-edge-agent', {
    kill: () => p.component('edge-agent').kill('SIGKILL'),
    restart: () => p.component('edge-agent').start(),
  })),
};

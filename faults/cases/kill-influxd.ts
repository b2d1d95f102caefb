import { crashAndRestart, withPipeline, type FaultCase } from '../harness/fault-case.ts';

// SIGKILL of influxd mid-stream, down for a while, restarted on its data:
// ingest retries and acknowledges nothing it has not written.
export const faultCase: FaultCase = {
  name: 'kill-influxd',
  run: () => withPipeline('kill-influxd', {}, (p) => crashAndRestart(p, 'kill-influxd', {
    kill: () => p.killInfluxd(),
    restart: () => p.startInfluxd(),
    downMs: 5_000,
  })),
};

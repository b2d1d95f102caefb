import { scaleFaultCase } from '../harness/scale-fault.ts';
import type { FaultCase } from '../harness/fault-case.ts';

// SIGKILL of the one redis-server two broker nodes share, mid-load, and the
// same server started again on its append-only file: every batch a gateway
// had acknowledged reaches ingest and InfluxDB (the Redis Streams emitter
// resumes after the last entry each node delivered; appends queued meanwhile
// are sent when Redis is back).
export const faultCase: FaultCase = {
  name: 'redis-restart',
  scale: true,
  run: () => scaleFaultCase('redis-restart', { afterMs: 3_000, inject: (ctx) => ctx.restartRedis() }),
};

import { createRequire } from 'node:module';
import { scaleFaultCase } from '../harness/scale-fault.ts';
import type { FaultCase } from '../harness/fault-case.ts';

// Broker node 0 — the node ingest and rules read from — has its Redis
// connections cut (CLIENT KILL) three times mid-load while node 1's gateways
// keep publishing: nothing node 1 appended meanwhile is lost to node 0.
const require = createRequire(import.meta.url);

interface AdminRedis {
  call(command: string, ...args: string[]): Promise<unknown>;
  disconnect(): void;
}

export const faultCase: FaultCase = {
  name: 'redis-link-cut',
  scale: true,
  run: () => scaleFaultCase('redis-link-cut', {
    afterMs: 2_000,
    async inject(ctx) {
      const Redis = createRequire(require.resolve('mqemitter-redis'))('ioredis') as new (opts: object) => AdminRedis;
      const admin = new Redis({ host: '127.0.0.1', port: ctx.redisPort, maxRetriesPerRequest: 3 });
      try {
        for (let cut = 0; cut < 3; cut++) {
          const list = String(await admin.call('CLIENT', 'LIST'));
          const ids = list.split('\n').filter((l) => / name=tz-broker-[a-z]+-broker-0 /.test(l)).map((l) => /\bid=(\d+)/.exec(l)?.[1]).filter((id): id is string => id !== undefined);
          if (ids.length === 0) throw new Error('no connection of broker-0 in CLIENT LIST (emitter not streams?)');
          for (const id of ids) await admin.call('CLIENT', 'KILL', 'ID', id);
          ctx.log(`redis-link-cut: cut ${ids.length} connections of broker-0`);
          await new Promise((resolve) => setTimeout(resolve, 1_500));
        }
      } finally {
        admin.disconnect();
      }
    },
  }),
};

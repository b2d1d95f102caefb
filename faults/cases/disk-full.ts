import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricSum } from '../../testing/index.ts';
import { ledgerProblems, resultOf, sleep, untilFreshReadingStored, withPipeline, type FaultCase, type FaultResult } from '../harness/fault-case.ts';
import { waitUntil, type Pipeline } from '../harness/pipeline.ts';

// The edge queue's disk fills up while the link is down: the agent must keep
// running, drop readings (oldest or newest, its choice) and count every one in
// tz_edge_readings_dropped_total, and send what it kept once the link is back.
// Bounded loss = exactly the counted drops. The disk is a 1 MiB tmpfs when we
// may mount one (root); otherwise the queue's own byte bound stands in for it.
const TMPFS_BYTES = 1024 * 1024;

function mountTmpfs(): { dir: string; release(): void } | null {
  const dir = mkdtempSync(join(tmpdir(), 'tz-fault-disk-'));
  const mounted = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES}`, 'tmpfs', dir], { stdio: 'ignore' }).status === 0;
  if (!mounted) {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return {
    dir,
    release() {
      spawnSync('umount', ['-l', dir], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function fillWhileCut(p: Pipeline, fault: string, how: string): Promise<FaultResult> {
  if (p.notes.some((n) => n.includes('no disk queue'))) return resultOf(fault, null, null, ['the edge agent has no disk queue (no dataDir in its config schema): nothing to fill'], []);
  await untilFreshReadingStored(p, 0, 30_000);
  await p.link.cut();
  // Until the disk is full and the agent has dropped for a while.
  await waitUntil('the agent dropping readings', async () => (await metricSum(p.url('agent'), 'tz_edge_readings_dropped_total')) > 0, 60_000, 250)
    .catch(() => undefined);
  await sleep(3_000);
  const restoredAt = Date.now();
  await p.link.restore();
  const recoveryMs = await untilFreshReadingStored(p, restoredAt, 60_000);
  const ledger = await p.drain();
  const dropped = await metricSum(p.url('agent'), 'tz_edge_readings_dropped_total');
  const problems = ledgerProblems(ledger, dropped);
  if (dropped === 0) problems.push(`the queue never filled (${how}): no drop was counted`);
  if (ledger.lost < dropped) problems.push(`the agent counted ${dropped} drops but only ${ledger.lost} readings are missing: the count is wrong`);
  return resultOf(fault, ledger, recoveryMs, problems, [`${how}; lost ${ledger.lost} = counted drops ${dropped} (tz_edge_readings_dropped_total)`]);
}

export const faultCase: FaultCase = {
  name: 'edge-disk-full',
  run: async () => {
    const disk = mountTmpfs();
    try {
      const options = disk
        ? { devices: 40, pollIntervalMs: 100, agentQueueDir: disk.dir }
        : { devices: 40, pollIntervalMs: 100, agentConfig: { queue: { maxBytes: 64 * 1024 } } };
      return await withPipeline('edge-disk-full', options, (p) => fillWhileCut(p, 'edge-disk-full', disk ? `queue on a ${TMPFS_BYTES / 1024} KiB tmpfs` : 'no tmpfs (not root): queue bound by maxBytes=64 KiB'));
    } finally {
      disk?.release();
    }
  },
};

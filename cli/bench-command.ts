import { writeFileSync } from 'node:fs';
import { cpus, totalmem, platform, release } from 'node:os';
import { decodeUplinkBatch, encodeUplinkBatch, type IUplinkBatch } from '../proto/index.ts';
import { loadProfiles, type DeviceProfile } from '../device-profiles/index.ts';

// Benchmarks write BENCHMARKS.md with the command and the machine. Each
// compares against a peer measured in the same run and reports the ratio,
// because 2-core shared machines are noisy.

export interface BenchOptions {
  out: string;
  quick: boolean;
}

interface Result {
  name: string;
  peer: string;
  rows: Array<[string, string, string, string]>;
}

function syntheticBatch(profiles: DeviceProfile[], readings: number): IUplinkBatch {
  const now = Date.UTC(2026, 10, 23);
  return {
    gatewayId: 'gw-0001', batchSeq: 1, sentAtMs: now,
    readings: Array.from({ length: readings }, (_, i) => {
      const profile = profiles[i % profiles.length]!;
      return {
        deviceId: `dev-${String(i).padStart(5, '0')}`, profile: profile.class, profileVersion: profile.version, timestampMs: now + i, seq: i + 1, district: 'gulou',
        metrics: profile.metrics.map((m, j) => (m.type === 'boolean' ? { name: m.name, flag: (i + j) % 2 === 0 } : m.type === 'integer' ? { name: m.name, integer: (i * 7 + j) % 100 } : { name: m.name, number: ((i * 13 + j) % 1000) / 10 })),
      };
    }),
  };
}

/** Runs `fn` for about `ms` and returns operations per second. */
function opsPerSecond(fn: () => void, ms: number): number {
  for (let i = 0; i < 50; i++) fn(); // warm-up for the JIT
  let ops = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(ms) * 1_000_000n;
  let elapsed = 0n;
  while (elapsed < limit) {
    fn();
    ops++;
    elapsed = process.hrtime.bigint() - start;
  }
  return ops / (Number(elapsed) / 1e9);
}

/** UplinkBatch as protobuf (protobufjs static code) versus the same batch as JSON. */
function benchCodec(quick: boolean): Result {
  const profiles = loadProfiles().all();
  const batch = syntheticBatch(profiles, 500);
  const pb = encodeUplinkBatch(batch);
  const json = Buffer.from(JSON.stringify(batch));
  const ms = quick ? 300 : 2000;
  const pbRate = opsPerSecond(() => decodeUplinkBatch(encodeUplinkBatch(batch)), ms) * 500;
  const jsonRate = opsPerSecond(() => JSON.parse(Buffer.from(JSON.stringify(batch)).toString()), ms) * 500;
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  return {
    name: 'Wire codec: UplinkBatch of 500 readings (all four profiles), encode + decode',
    peer: 'JSON.stringify/JSON.parse of the same object',
    rows: [
      ['bytes per reading', (pb.length / 500).toFixed(1), (json.length / 500).toFixed(1), `${(json.length / pb.length).toFixed(2)}× smaller`],
      ['readings/s round trip', fmt(pbRate), fmt(jsonRate), `${(pbRate / jsonRate).toFixed(2)}× JSON`],
    ],
  };
}

export async function runBench(options: BenchOptions): Promise<void> {
  const results: Result[] = [];
  console.error('bench 1/1: wire codec …');
  results.push(benchCodec(options.quick));
  const cpu = cpus();
  const lines = [
    '# Benchmarks',
    '',
    `Command: \`npm run bench${options.quick ? ' -- --quick' : ''}\` — run ${new Date().toISOString()}`,
    `Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${platform()} ${release()}, Node ${process.version}`,
    '',
    'Each benchmark runs its peer in the same process and run; compare the ratios, not the absolute numbers (shared 2-core machines are noisy).',
    '',
  ];
  for (const r of results) {
    lines.push(`## ${r.name}`, '', `Peer: ${r.peer}`, '', '| measure | Tianzhong | peer | ratio |', '| --- | --- | --- | --- |');
    for (const row of r.rows) lines.push(`| ${row.join(' | ')} |`);
    lines.push('');
  }
  writeFileSync(options.out, lines.join('\n'));
  console.log(lines.join('\n'));
}

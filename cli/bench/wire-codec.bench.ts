// Wire codec benchmark: protobufjs static code versus JSON for the same batch.
import { decodeUplinkBatch, encodeUplinkBatch, type IUplinkBatch } from '../../proto/index.ts';
import { loadProfiles, type DeviceProfile } from '../../device-profiles/index.ts';
import { TzError, markdownTable, type Bench } from '../../service-kit/index.ts';

function syntheticBatch(profiles: DeviceProfile[], readings: number): IUplinkBatch {
  const now = Date.UTC(2026, 10, 23);
  return {
    gatewayId: 'gw-0001', batchSeq: 1, sentAtMs: now,
    readings: Array.from({ length: readings }, (_, i) => {
      const profile = profiles[i % profiles.length];
      if (!profile) throw new TzError('TZ_PROFILE_UNKNOWN', 'wire-codec bench: no device profiles loaded');
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
export const bench: Bench = {
  name: 'wire-codec',
  title: 'Wire codec: UplinkBatch of 500 readings (all four profiles), encode + decode',
  async run({ quick }) {
    return benchCodec(quick);
  },
};

function benchCodec(quick: boolean): string {
  const profiles = loadProfiles().all();
  const batch = syntheticBatch(profiles, 500);
  const pb = encodeUplinkBatch(batch);
  const json = Buffer.from(JSON.stringify(batch));
  const ms = quick ? 300 : 2000;
  const pbRate = opsPerSecond(() => decodeUplinkBatch(encodeUplinkBatch(batch)), ms) * 500;
  const jsonRate = opsPerSecond(() => JSON.parse(Buffer.from(JSON.stringify(batch)).toString()), ms) * 500;
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  return [
    'Peer: JSON.stringify/JSON.parse of the same object, same process.',
    '',
    markdownTable(['measure', 'Tianzhong', 'peer', 'ratio'], [
      ['bytes per reading', (pb.length / 500).toFixed(1), (json.length / 500).toFixed(1), `${(json.length / pb.length).toFixed(2)}× smaller`],
      ['readings/s round trip', fmt(pbRate), fmt(jsonRate), `${(pbRate / jsonRate).toFixed(2)}× JSON`],
    ]),
  ].join('\n');
}


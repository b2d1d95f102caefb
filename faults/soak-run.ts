// `npm run test:soak`: the full soak, 2,000 devices for an hour of city time
// on the simulated clock at 4× (15 min wall); `-- --minutes 20 --speed 12
// --devices 500` etc. for another. Plain lines on the terminal; the last line
// is `N passed, N failed` like the other suites.
import { Command } from 'commander';
import { loadavg } from 'node:os';
import { runSoak, SOAK_DEFAULTS } from './soak.ts';

// The defaults' arithmetic (2 cores shared): 2,000 devices polled every 2 s of wall time = 1,000 readings/s
// (ingest alone takes ~70k/s here; the agent, the simulator's Modbus servers and the rules in the same
// process are what cost), one poll per 8 s of city time at 4×; 60 min of city time = 15 min wall,
// ≈ 900,000 readings; a forced-GC sample every 10 s wall = 90 samples, 63 after the 30 % warm-up.
const program = new Command('test:soak')
  .description('the npm start stack at city scale on a simulated clock: memory and open handles must stop growing, sent = stored')
  .option('--devices <n>', 'simulated devices', '2000')
  .option('--minutes <n>', 'city (simulated) minutes the run covers', '60')
  .option('--speed <n>', 'simulated seconds per wall second', '4')
  .option('--poll-ms <n>', 'wall ms between two polls of a device', '2000')
  .option('--sample-s <n>', 'wall seconds between samples', '10')
  .parse();
const o = program.opts<{ devices: string; minutes: string; speed: string; pollMs: string; sampleS: string }>();
const num = (v: string, name: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a positive number (got "${v}")`);
    process.exit(2);
  }
  return n;
};

// Services log JSON; here only their errors reach the terminal (the devices
// stopping at the end makes every bus warn), unless TZ_LOG_LEVEL says otherwise.
process.env.TZ_LOG_LEVEL ??= 'error';
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
const loadBefore = load();
const simulatedMs = num(o.minutes, 'minutes') * 60_000;
const speed = num(o.speed, 'speed');
// The heap tolerance was set for a wall hour (the halves' centres ~21 min apart: a leak above ~45 MiB/h
// fails). A shorter wall run scales it down so the same leak rate still fails: 15 min → max(4 MiB, 2.5 %).
const scale = Math.min(1, simulatedMs / speed / 3_600_000);
const result = await runSoak({
  ...SOAK_DEFAULTS,
  heapToleranceBytes: Math.max(4 * 2 ** 20, SOAK_DEFAULTS.heapToleranceBytes * scale), heapToleranceShare: SOAK_DEFAULTS.heapToleranceShare * scale,
  devices: num(o.devices, 'devices'), simulatedMs, speed,
  pollIntervalMs: num(o.pollMs, 'poll-ms'), sampleEveryMs: num(o.sampleS, 'sample-s') * 1000,
  progress: (line) => console.log(line),
});
for (const p of result.problems) console.log(`FAIL ${p}`);
const measured = result.samples.filter((s) => s.atMs >= result.runWallMs * SOAK_DEFAULTS.warmupShare).length;
console.log(`soak took ${(result.wallMs / 60_000).toFixed(1)} min wall (the sampled run ${(result.runWallMs / 60_000).toFixed(1)} min, city +${(result.clock.reachedMs / 60_000).toFixed(1)} min, clock ${result.clock.spec}); ${result.readingsPerSecond.toFixed(0)} readings/s polled; ${result.samples.length} samples (${measured} after the warm-up); heap slope ${(result.heap.slopeBytesPerHour / 2 ** 20).toFixed(1)} MiB/h (wall); load average ${loadBefore} before, ${load()} after; handles at the end ${JSON.stringify(result.handles.byType)}`);
console.log(`${result.problems.length === 0 ? 1 : 0} passed, ${result.problems.length === 0 ? 0 : 1} failed`);
process.exit(result.problems.length === 0 ? 0 : 1);

// `npm run test:soak`: the full soak (2,000 devices, an hour); `-- --minutes 5`
// etc. for a shorter one. Plain lines on the terminal; the last line is
// `N passed, N failed` like the other suites.
import { Command } from 'commander';
import { runSoak, SOAK_DEFAULTS } from './soak.ts';

const program = new Command('test:soak')
  .description('the npm start stack at city scale for a long run: memory and open handles must stop growing, sent = stored')
  .option('--devices <n>', 'simulated devices', '2000')
  .option('--minutes <n>', 'length of the run', '60')
  .option('--poll-ms <n>', 'poll interval of every device', '2000')
  .option('--sample-s <n>', 'seconds between samples', '30')
  .parse();
const o = program.opts<{ devices: string; minutes: string; pollMs: string; sampleS: string }>();
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
const result = await runSoak({
  ...SOAK_DEFAULTS,
  devices: num(o.devices, 'devices'), durationMs: num(o.minutes, 'minutes') * 60_000, pollIntervalMs: num(o.pollMs, 'poll-ms'), sampleEveryMs: num(o.sampleS, 'sample-s') * 1000,
  progress: (line) => console.log(line),
});
for (const p of result.problems) console.log(`FAIL ${p}`);
console.log(`soak took ${(result.wallMs / 60_000).toFixed(1)} min; heap slope ${(result.heap.slopeBytesPerHour / 2 ** 20).toFixed(1)} MiB/h; handles at the end ${JSON.stringify(result.handles.byType)}`);
console.log(`${result.problems.length === 0 ? 1 : 0} passed, ${result.problems.length === 0 ? 0 : 1} failed`);
process.exit(result.problems.length === 0 ? 0 : 1);

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { BUILTIN_PROFILE_DIR } from '../../device-profiles/index.ts';

// Under the simulated clock rule windows keep their city meaning (readings
// carry city time), but one machine cannot poll a month's devices every
// simulated minute: at 3600× a poll every 500 ms wall is one every half hour
// of city time, like battery-powered street sensors that report hourly. The
// profiles' expected report interval (and so the no-data rule, 3 missed
// reports) is raised to twice the poll period in city time (a busy machine
// polls late); nothing else changes.

export function writeMonthProfiles(pollSimSeconds: number, toDir: string, fromDir: string = BUILTIN_PROFILE_DIR): string {
  mkdirSync(toDir, { recursive: true });
  for (const file of readdirSync(fromDir).filter((f) => /\.ya?ml$/.test(f))) {
    const source = join(fromDir, file);
    const doc = parseYaml(readFileSync(source, 'utf8')) as Record<string, unknown>;
    const interval = typeof doc.reportIntervalSeconds === 'number' ? doc.reportIntervalSeconds : 0;
    doc.reportIntervalSeconds = Math.max(interval, Math.ceil(pollSimSeconds * 2));
    // A codec path is relative to its profile file: pin it to the original.
    for (const section of [doc.lora, doc.json] as Array<{ codec?: unknown } | undefined>) {
      if (section && typeof section.codec === 'string' && !isAbsolute(section.codec)) section.codec = resolve(dirname(source), section.codec);
    }
    writeFileSync(join(toDir, file), `# ${file} reporting at most every ${Math.ceil(pollSimSeconds * 2)} s of city time (a compressed month), written by cli/city-month\n${toYaml(doc)}`);
  }
  return toDir;
}

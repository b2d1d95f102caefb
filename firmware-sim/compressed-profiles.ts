import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { BUILTIN_PROFILE_DIR } from '../device-profiles/index.ts';
import { TzError } from '../service-kit/index.ts';

// Under `--speed K` the street runs K times faster, but the pipeline stamps
// readings with wall time (a Modbus device has no clock; the edge agent
// stamps the poll), so a rule's `for: 2m` would need 2 wall minutes — 2·K
// simulated ones. This writes a copy of the profiles whose rule windows are
// divided by K, so a compressed run raises its alarms at the simulated
// moments a real street would. Only `for`, `forSeconds`, `clearFor` and
// `escalate[].after` are scaled; rate/average windows keep their meaning
// (they already see the compressed change per wall minute).

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function durationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return value * 1000;
  if (typeof value !== 'string') return undefined;
  let total = 0;
  let matched = '';
  for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    const [, count, unit] = m;
    // The pattern only matches the units UNIT_MS lists.
    total += Number(count) * (UNIT_MS[unit ?? ''] ?? NaN);
    matched += m[0];
  }
  return matched === value.replace(/\s+/g, '') && matched !== '' ? total : undefined;
}

const compress = (ms: number, speed: number): string => `${Math.max(1, Math.round(ms / speed))}ms`;

function compressRule(rule: Record<string, unknown>, speed: number): void {
  for (const key of ['for', 'clearFor'] as const) {
    const ms = durationMs(rule[key]);
    if (ms !== undefined) rule[key] = compress(ms, speed);
  }
  if (typeof rule.forSeconds === 'number') {
    rule.for = compress(rule.forSeconds * 1000, speed);
    delete rule.forSeconds;
  }
  if (Array.isArray(rule.escalate)) {
    for (const step of rule.escalate as Array<Record<string, unknown>>) {
      const ms = durationMs(step.after);
      if (ms !== undefined) step.after = compress(ms, speed);
    }
  }
}

/** Writes the profiles of `fromDir` into `toDir` with rule windows divided by `speed`; returns `toDir`. */
export function writeCompressedProfiles(speed: number, toDir: string, fromDir: string = BUILTIN_PROFILE_DIR): string {
  if (!(speed > 0)) throw new TzError('TZ_CONFIG_INVALID', `speed must be > 0, got ${speed}`);
  mkdirSync(toDir, { recursive: true });
  for (const file of readdirSync(fromDir).filter((f) => /\.ya?ml$/.test(f))) {
    const source = join(fromDir, file);
    const doc = parseYaml(readFileSync(source, 'utf8')) as Record<string, unknown>;
    if (Array.isArray(doc.rules)) for (const rule of doc.rules as Array<Record<string, unknown>>) compressRule(rule, speed);
    // A codec path is relative to its profile file: pin it to the original.
    for (const section of [doc.lora, doc.json] as Array<{ codec?: unknown } | undefined>) {
      if (section && typeof section.codec === 'string' && !isAbsolute(section.codec)) section.codec = resolve(dirname(source), section.codec);
    }
    writeFileSync(join(toDir, file), `# ${file} with rule windows divided by ${speed} (time compression), written by firmware-sim\n${toYaml(doc)}`);
  }
  return toDir;
}

// The fault-injection suite: `npm run test:faults [name…]`. Each case runs the
// real pipeline (child processes on 127.0.0.1), breaks it, and prints one line
// — fault, sent, stored, duplicates, lost, recovery time. Long cases run
// alongside the short ones; the last line is `N passed, N failed`.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatResult, type FaultCase, type FaultResult } from './harness/fault-case.ts';

const casesDir = fileURLToPath(new URL('./cases/', import.meta.url));
const filters = process.argv.slice(2).filter((a) => a !== '--scale');
/** `--scale` adds the scale-out cases (redis-restart, redis-link-cut: over 60 s each, so not in the default suite). */
const withScale = process.argv.includes('--scale');
/** Short cases run this many at a time next to the long ones (2 cores). */
const PARALLEL = Number(process.env.TZ_FAULT_PARALLEL ?? 2);
/** A case that hangs fails on its own; the suite goes on (its processes die with the suite). */
const CASE_TIMEOUT_MS = Number(process.env.TZ_FAULT_CASE_TIMEOUT_S ?? 240) * 1000;

async function loadCases(): Promise<FaultCase[]> {
  const files = readdirSync(casesDir).filter((f) => f.endsWith('.ts')).sort();
  const cases: FaultCase[] = [];
  for (const f of files) {
    const mod = (await import(new URL(`./cases/${f}`, import.meta.url).href)) as { faultCase?: FaultCase; faultCases?: FaultCase[] };
    for (const c of mod.faultCases ?? (mod.faultCase ? [mod.faultCase] : [])) cases.push(c);
  }
  return cases.filter((c) => (withScale || !c.scale) && (filters.length === 0 || filters.some((s) => c.name.includes(s))));
}

async function runOne(c: FaultCase): Promise<FaultResult[]> {
  const started = Date.now();
  let results: FaultResult[];
  try {
    const r = await Promise.race([c.run(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`did not finish within ${CASE_TIMEOUT_MS / 1000} s`)), CASE_TIMEOUT_MS).unref())]);
    results = Array.isArray(r) ? r : [r];
  } catch (err) {
    results = [{ fault: c.name, sent: null, stored: null, duplicates: null, lost: null, recoveryMs: null, problems: [(err as Error).message], notes: [] }];
  }
  for (const result of results) console.log(`${formatResult(result)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return results;
}

async function runPool(cases: FaultCase[], width: number): Promise<FaultResult[]> {
  const results: FaultResult[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, cases.length) }, async () => {
    for (let c = cases[next++]; c !== undefined; c = cases[next++]) results.push(...(await runOne(c)));
  }));
  return results;
}

const cases = await loadCases();
if (cases.length === 0) {
  console.error(`no fault case matched ${filters.join(' ')}`);
  process.exit(1);
}
const started = Date.now();
const [longResults, shortResults] = await Promise.all([runPool(cases.filter((c) => c.long), cases.length), runPool(cases.filter((c) => !c.long), PARALLEL)]);
const results = [...longResults, ...shortResults];
const failed = results.filter((r) => r.problems.length > 0).length;
console.log(`\nfault suite took ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

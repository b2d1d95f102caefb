import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cpus, totalmem, platform, release } from 'node:os';
import type { Bench } from '../service-kit/index.ts';

// `npm run bench [-- name…]`: finds every `<room>/bench/*.bench.ts`, runs the
// chosen ones and rewrites their sections of BENCHMARKS.md, leaving the other
// sections as they were (each section says when and where it was measured).

export interface BenchOptions {
  out: string;
  quick: boolean;
  /** Bench names to run; all when empty. */
  only: string[];
}

const root = new URL('..', import.meta.url).pathname;

async function discover(): Promise<Array<{ file: string; bench: Bench }>> {
  const found: Array<{ file: string; bench: Bench }> = [];
  for (const room of readdirSync(root).sort()) {
    if (room === 'node_modules' || room.startsWith('.')) continue;
    const dir = join(root, room, 'bench');
    if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir).sort()) {
      if (!f.endsWith('.bench.ts')) continue;
      const mod = (await import(join(dir, f))) as { bench?: Bench };
      if (!mod.bench) throw new Error(`${relative(root, join(dir, f))} does not export \`bench\``);
      found.push({ file: relative(root, join(dir, f)), bench: mod.bench });
    }
  }
  return found;
}

function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${platform()} ${release()}, Node ${process.version}`;
}

const HEADER = [
  '# Benchmarks',
  '',
  'Written by `npm run bench` (all) or `npm run bench -- <name>` (one section). Each section names its command, the machine and the time of its run.',
  'Every benchmark measures a peer in the same run; compare the ratios, not the absolute numbers (shared 2-core machines are noisy).',
  '',
].join('\n');

/** Replaces (or appends) the section between `<!-- bench:name -->` and `<!-- /bench:name -->`. */
function replaceSection(doc: string, name: string, section: string): string {
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const block = `${open}\n${section.trim()}\n${close}`;
  const i = doc.indexOf(open);
  const j = doc.indexOf(close);
  if (i >= 0 && j > i) return doc.slice(0, i) + block + doc.slice(j + close.length);
  return `${doc.trimEnd()}\n\n${block}\n`;
}

export async function runBench(options: BenchOptions): Promise<void> {
  const all = await discover();
  const unknown = options.only.filter((n) => !all.some((b) => b.bench.name === n));
  if (unknown.length > 0) throw new Error(`no benchmark named ${unknown.join(', ')}; known: ${all.map((b) => b.bench.name).join(', ')}`);
  const chosen = options.only.length === 0 ? all : all.filter((b) => options.only.includes(b.bench.name));
  let doc = existsSync(options.out) && readFileSync(options.out, 'utf8').includes('<!-- bench:') ? readFileSync(options.out, 'utf8') : HEADER;
  for (const [i, { file, bench }] of chosen.entries()) {
    console.error(`bench ${i + 1}/${chosen.length}: ${bench.name} (${file}) …`);
    const started = Date.now();
    const body = await bench.run({ quick: options.quick, progress: (m) => console.error(`  ${bench.name}: ${m}`) });
    const command = `npm run bench -- ${bench.name}${options.quick ? ' --quick' : ''}`;
    const section = [`## ${bench.title}`, '', `Command: \`${command}\` — run ${new Date().toISOString()}, took ${((Date.now() - started) / 1000).toFixed(0)} s`, `Machine: ${machine()}`, '', body.trim()].join('\n');
    doc = replaceSection(doc, bench.name, section);
    writeFileSync(options.out, doc); // after each bench, so a later failure keeps the earlier results
    console.log(section, '\n');
  }
}

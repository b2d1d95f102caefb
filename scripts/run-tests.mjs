// Runs every uvu test file (<room>/test/*.test.ts, test/integration/*.test.ts)
// in its own process, so servers one file starts cannot leak into the next,
// then prints the totals as `N passed, N failed` on a line of its own.
// Files run TZ_TEST_JOBS at a time (default 2, one per core of the CI
// machine); each file's output is printed whole when it ends.
// Usage: node scripts/run-tests.mjs [substring filter...]
import { spawn } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const FILE_TIMEOUT_MS = Number(process.env.TZ_TEST_FILE_TIMEOUT_MS ?? 300_000);
const JOBS = Math.max(1, Number(process.env.TZ_TEST_JOBS ?? 2));

function testFiles() {
  const files = [];
  for (const room of readdirSync(root)) {
    if (room === 'node_modules' || room.startsWith('.')) continue;
    const dirs = room === 'test' ? [join(root, 'test/integration')] : [join(root, room, 'test')];
    for (const dir of dirs) {
      if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
      for (const f of readdirSync(dir).sort()) if (f.endsWith('.test.ts')) files.push(join(dir, f));
    }
  }
  // Unit tests first: they are fast and say the most when they fail.
  return files
    .map((f) => relative(root, f))
    .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
    .sort((a, b) => Number(a.startsWith('test/')) - Number(b.startsWith('test/')) || a.localeCompare(b));
}

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, env: { TZ_LOG_LEVEL: 'silent', ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { out += `\n${file}: timed out after ${FILE_TIMEOUT_MS} ms\n`; child.kill('SIGKILL'); }, FILE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      process.stdout.write(`\n── ${file}\n${out}`);
      const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? NaN);
      const passed = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? NaN);
      // A file that died before uvu's summary counts as one failure.
      if (Number.isNaN(total) || Number.isNaN(passed)) resolve({ file, passed: 0, failed: 1, code, ms: Date.now() - started });
      else resolve({ file, passed, failed: total - passed + (code !== 0 && total === passed ? 1 : 0), code, ms: Date.now() - started });
    });
  });
}

const files = testFiles();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
let passed = 0;
let failed = 0;
const summary = [];
const queue = [...files];
async function worker() {
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const r = await runFile(file);
    passed += r.passed;
    failed += r.failed;
    summary.push(`${r.failed === 0 ? 'ok  ' : 'FAIL'} ${file} (${r.passed} passed, ${r.failed} failed, ${(r.ms / 1000).toFixed(1)} s)`);
  }
}
const started = Date.now();
await Promise.all(Array.from({ length: Math.min(JOBS, files.length) }, worker));
summary.push(`${files.length} files, ${JOBS} at a time, ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`\n${summary.join('\n')}\n`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

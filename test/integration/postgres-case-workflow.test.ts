// The case workflow scenarios (cases/test/workflow.test.ts: alarm → case →
// dispatch → handle → verify → close, reopen, SLA escalation, notifications)
// run again with every fixture on a fresh PostgreSQL database instead of
// SQLite in memory (cases/test/fixtures.ts reads TZ_TEST_CASES_POSTGRES).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { startPostgres } from './helpers.ts';

function runTestFile(file: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { env: { ...process.env, ...env, TZ_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

test('the case workflow scenarios pass on PostgreSQL', async () => {
  const server = await startPostgres();
  try {
    const { code, output } = await runTestFile('cases/test/workflow.test.ts', { TZ_TEST_CASES_POSTGRES: server.url.replace(/\/tz_test$/, '') });
    assert.is(code, 0, output.slice(-3000));
    const total = Number(/Total:\s+(\d+)/.exec(output)?.[1]);
    assert.ok(total > 0, 'scenarios ran');
    assert.is(Number(/Passed:\s+(\d+)/.exec(output)?.[1]), total, 'every scenario passed');
  } finally {
    await server.stop();
  }
});

test.run();

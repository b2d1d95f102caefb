import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TzError } from '../../service-kit/index.ts';

/**
 * A pseudo-terminal pair joined by socat (`pty,raw,echo=0`): the sim serves
 * RTU on `simEnd`, a master (edge agent, mbpoll) opens `masterEnd` as if it
 * were /dev/ttyUSB0 on an RS-485 adapter.
 */
export interface PtyPair {
  simEnd: string;
  masterEnd: string;
  close(): Promise<void>;
}

export async function openPtyPair(timeoutMs = 5000): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'tz-rtu-'));
  const simEnd = join(dir, 'sim');
  const masterEnd = join(dir, 'master');
  let child: ChildProcess;
  try {
    child = spawn('socat', [`pty,raw,echo=0,link=${simEnd}`, `pty,raw,echo=0,link=${masterEnd}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new TzError('TZ_CONFIG_INVALID', 'socat could not be started; install it (Debian: apt-get install socat)', { cause: err });
  }
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(simEnd) && existsSync(masterEnd))) {
    const failed = await Promise.race([spawnError, exited.then((c) => new Error(`socat exited (${c}): ${stderr.trim()}`)), new Promise<null>((r) => setTimeout(() => r(null), 20))]);
    if (failed || Date.now() > deadline) {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
      const hint = failed && /ENOENT/.test(failed.message) ? 'socat is not installed (Debian: apt-get install socat)' : (failed?.message ?? 'socat did not create the pty pair in time');
      throw new TzError('TZ_CONFIG_INVALID', hint);
    }
  }
  return {
    simEnd,
    masterEnd,
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

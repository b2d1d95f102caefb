import cliProgress from 'cli-progress';

// Progress of a backup or restore: a bar on a terminal, plain lines otherwise
// (logs, CI, pipes), never both.

export interface BackupProgress {
  /** Starts a step of `total` units (files, pages, bytes). */
  step(label: string, total: number): void;
  /** Units done so far in the current step. */
  update(done: number): void;
  /** A line of its own (warnings, what is not covered). */
  note(message: string): void;
  stop(): void;
}

export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): BackupProgress {
  if (!stream.isTTY) return plainProgress((line) => stream.write(`${line}\n`));
  const bar = new cliProgress.SingleBar({ stream, format: '{label} [{bar}] {percentage}% {value}/{total}', hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic);
  let running = false;
  return {
    step(label, total) {
      if (running) bar.stop();
      bar.start(Math.max(total, 1), 0, { label });
      running = true;
    },
    update(done) {
      bar.update(done);
    },
    note(message) {
      if (running) bar.stop();
      running = false;
      stream.write(`${message}\n`);
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}

/** One line per step and per finished step: for logs and tests. */
export function plainProgress(write: (line: string) => void): BackupProgress {
  let label = '';
  let total = 0;
  let last = 0;
  return {
    step(l, t) {
      if (label) write(`${label}: ${last}/${total} done`);
      label = l;
      total = t;
      last = 0;
      write(`${label}: ${total} to do`);
    },
    update(done) {
      last = done;
    },
    note(message) {
      if (label) write(`${label}: ${last}/${total} done`);
      label = '';
      write(message);
    },
    stop() {
      if (label) write(`${label}: ${last}/${total} done`);
      label = '';
    },
  };
}

export const silentProgress: BackupProgress = { step() {}, update() {}, note() {}, stop() {} };

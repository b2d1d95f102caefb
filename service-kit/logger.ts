import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

// Where logs go, set per process by the environment:
// - default: JSON lines on stdout (services, containers, `--json`);
// - TZ_LOG_FILE=path: every JSON line to that file as well (appended);
// - TZ_LOG_TERMINAL=plain: the terminal gets short readable lines, warnings
//   and errors only — `npm start` runs this way, with the full log in the file.

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** One pino JSON line → `14:05:09 WARN  ingest: message (error text)`. */
export function plainLogLine(json: string): string {
  try {
    const entry = JSON.parse(json) as { time?: string; level?: number; component?: string; msg?: string; err?: { message?: string } };
    const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
    const level = (LEVEL_NAMES[entry.level ?? 30] ?? 'INFO').padEnd(5);
    const error = entry.err?.message ? ` (${entry.err.message})` : '';
    return `${time} ${level} ${entry.component ?? '-'}: ${entry.msg ?? ''}${error}`;
  } catch {
    return json.trimEnd();
  }
}

const files = new Map<string, WriteStream>();

function destination(): DestinationStream | undefined {
  const file = process.env.TZ_LOG_FILE;
  const plain = process.env.TZ_LOG_TERMINAL === 'plain';
  if (!file && !plain) return undefined;
  const streams: pino.StreamEntry[] = [];
  if (file) {
    let stream = files.get(file);
    if (!stream) {
      mkdirSync(dirname(file), { recursive: true });
      stream = createWriteStream(file, { flags: 'a' });
      files.set(file, stream);
    }
    streams.push({ level: 'trace', stream });
  }
  if (plain) streams.push({ level: 'warn', stream: { write: (line: string) => void process.stderr.write(`${plainLogLine(line)}\n`) } });
  else streams.push({ level: 'trace', stream: process.stdout });
  return pino.multistream(streams);
}

/**
 * JSON logs (pino) for one component. TZ_LOG_LEVEL sets the level
 * (default info; tests use silent unless TZ_LOG_LEVEL is set).
 */
export function createLogger(component: string, level?: string): Logger {
  const options = {
    name: component,
    level: level ?? process.env.TZ_LOG_LEVEL ?? 'info',
    base: { component },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const dest = destination();
  return dest ? pino(options, dest) : pino(options);
}

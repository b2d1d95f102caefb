import { readFileSync } from 'node:fs';

// CPU time of the calling thread, ms. `process.cpuUsage()` sums every thread
// of the process: with the alarm writer thread saving a checkpoint slice at
// the same time, it charged the writer's CPU to the event loop's slice.
// Linux tells one thread's on-CPU time in nanoseconds (/proc/thread-self/
// schedstat, first field; the kernel brings it up to date at each scheduler
// tick or switch, so a reading may lag by a millisecond or so: good for
// slices of several ms); elsewhere the process's time stands in (says so:
// `perThread`).

const SCHEDSTAT = '/proc/thread-self/schedstat';

function fromProc(): number | undefined {
  try {
    const ns = Number(readFileSync(SCHEDSTAT, 'utf8').split(' ', 1)[0]);
    return Number.isFinite(ns) ? ns / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `threadCpuMs` is this thread's own time (else the whole process's). */
export const perThread = fromProc() !== undefined;

/** CPU ms the calling thread used so far (a reading costs a few µs); only differences mean anything. */
export function threadCpuMs(): number {
  if (perThread) {
    const ms = fromProc();
    if (ms !== undefined) return ms;
  }
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
}

import { Worker } from 'node:worker_threads';

// The one way the rules room starts a worker thread whose code is TypeScript
// (the WAL checkpointer, the alarm writer): the process runs under tsx, a new
// thread does not inherit its loader, so a constant bootstrap registers tsx in
// the thread first and then imports the worker's module. Nothing from outside
// goes into the evaluated text: two URLs resolved here.

/** Starts `moduleUrl` (a .ts file of this room) on a worker thread with `workerData`. */
export function startTsWorker(moduleUrl: URL, workerData: unknown): Worker {
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => { register(); return import(${JSON.stringify(moduleUrl.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

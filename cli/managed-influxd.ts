// The managed influxd lives in the testing room (`npm start` and backups use it
// too); this re-export keeps older imports compiling. New code imports
// `testing/index.ts` directly.
export { startManagedInfluxd, influxdAvailable, freePort, type ManagedInfluxd, type ManagedInfluxdOptions } from '../testing/index.ts';

// Device profiles: the schema every device class is described by, the loader
// (errors name file, path and problem), the built-in profiles, and the
// register codec shared by the edge agent and the simulators.
export { profileSchema, registerTypes, type DeviceProfile, type MetricSpec, type RegisterSpec, type RuleSpec, type CommandSpec, type Condition } from './schema.ts';
export { parseProfile, loadProfileFile, loadProfiles, ProfileCatalogue, BUILTIN_PROFILE_DIR, type ProfileProblem } from './loader.ts';
export { registerWords, decodeRegister, encodeRegister, planReads, decodeBlock, checkMetricValue, metricsByName, metricOfValue, metricIndexOf, type ReadBlock, type MetricProblem } from './registers.ts';

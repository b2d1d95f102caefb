// Device profiles: the schema every device class is described by, the loader
// (errors name file, path and problem), the built-in profiles, and the
// register codec shared by the edge agent and the simulators.
export { profileSchema, registerTypes, type DeviceProfile, type MetricSpec, type RegisterSpec, type RuleSpec, type CommandSpec, type Condition } from './schema.ts';
export { parseProfile, loadProfileFile, loadProfiles, ProfileCatalogue, BUILTIN_PROFILE_DIR, type ProfileProblem } from './loader.ts';
export { registerWords, decodeRegister, encodeRegister, planReads, decodeBlock, checkMetricValue, metricsByName, metricOfValue, metricIndexOf, type ReadBlock, type MetricProblem } from './registers.ts';
export { LoraCodec, loadProfileCodec, DEFAULT_CODEC_LIMITS, type UplinkInput, type UplinkDecodeResult, type DownlinkEncodeResult, type CodecLimits } from './lora-codec.ts';
export { ruleSchema, conditionSchema, parseDuration, parseTimeOfDay, conditionMetrics, unknownMetrics, ruleOverrideSchema, scopeSchema, WEEKDAYS, SEVERITIES, COMPARISON_OPS, WINDOW_KINDS, type MetricCondition, type TimeCondition, type RuleOverride, type RuleScope, type Severity, type Weekday, type ComparisonOp, type WindowKind, type Duration } from './rule-schema.ts';
export { checkCommand, commandParamsOf, type CheckedCommand, type CommandRequest } from './command-check.ts';
export { type Cjt188Spec, type Dlt645Spec, type Hj212Spec } from './schema.ts';
export * from './field/index.ts';
export { JsonCodec, loadProfileJsonCodec, type JsonUplinkInput, type JsonDecodeResult } from './json-codec.ts';

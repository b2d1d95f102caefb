// Simulated field devices speaking the real protocols (Modbus TCP, Modbus RTU
// over a pty pair), with seeded physics on a compressible simulated clock,
// faults on demand, and scenario files with a timeline.
export { startSimulatedDistrict, type SimulatedDistrict, type SimulatedDistrictOptions, type SimulatedDeviceInfo, type SimFault, type FaultOptions } from './district.ts';
export { loadScenario, loadScenarioFile, parseScenario, builtinScenarios, BUILTIN_SCENARIO_DIR } from './scenario/load.ts';
export { parseDuration, type Scenario, type TimelineEntry, type AlarmExpectation, type CaseExpectation } from './scenario/schema.ts';
export { ScenarioRun, type ResolvedExpectations, type ScenarioProgress } from './scenario/runner.ts';
export { checkExpectations, type ObservedAlarm, type ObservedCase } from './scenario/expectations.ts';
export { cityTime, parseCityDateTime, sunHours, DEFAULT_TIME_ZONE, type CityTime } from './city-time.ts';
export { openPtyPair, type PtyPair } from './modbus/pty-pair.ts';
export { crc16 } from './modbus/crc16.ts';
export { writeCompressedProfiles } from './compressed-profiles.ts';
export * from './lora/index.ts';
export { DEFAULT_DISTRICTS } from './district.ts';
export type { CitySites, DeviceSite } from './sites.ts';
export * from './field/index.ts';
export { startSimulatedProfileDevices, type SimulatedProfileDevices, type ProfileDevicesOptions } from './profile-devices.ts';
export { profilePhysics } from './physics/profile-physics.ts';
export { SeededRandom, hashString } from './prng.ts';

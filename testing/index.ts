// The testing room: what tests, benches and the fault suite start and measure
// — free loopback ports, a managed influxd, Redis, PostgreSQL, certificates,
// mosquitto clients, CLI components as child processes, waits and counters.
// Real dependencies only (no mocks); everything on 127.0.0.1.
export { freePort } from './free-port.ts';
export { startManagedInfluxd, influxdAvailable, type ManagedInfluxd, type ManagedInfluxdOptions } from './managed-influxd.ts';
export { startInfluxd, startRestartableInfluxd, type TestInfluxd, type RestartableInfluxd } from './influxd.ts';
export { writeSimulatedTelemetry, type SimulatedTelemetryOptions } from './simulated-telemetry.ts';
export { startRedis, startRestartableRedis, type TestRedis, type RestartableRedis } from './redis.ts';
export { startPostgres, type TestPostgres } from './postgres.ts';
export { makeTestCertificates, type TestCertificates } from './certificates.ts';
export { runMosquittoClient, connectMqtt } from './mqtt-clients.ts';
export { ComponentProcess, REPO_ROOT, answers, health, metricSum, sumMetric, type ComponentSpec } from './component-process.ts';
export { tempDir } from './temp-dir.ts';
export { waitFor } from './wait-for.ts';
export { counter } from './counters.ts';
export { startCaseApi, type CaseApi, type CaseApiOptions, type CaseApiCrew } from './case-api.ts';
export { startBareBroker, type BareBroker, type BareBrokerOptions } from './bare-broker.ts';
export { sqliteSchemaOf, postgresSchemaOf, type SchemaOf } from './schema-of.ts';
export { CONSOLE_PEOPLE, issueConsoleTokens, launchConsoleBrowser, openConsolePage, signInToConsole, type ConsolePerson, type ConsolePageOptions, type SignInOptions } from './console-browser.ts';
export { rulesMemberProcess, type RulesMemberSpec } from './rules-member.ts';

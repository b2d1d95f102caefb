// Service plumbing every room uses: errors catalogue, JSON logs, /metrics and
// /healthz, backoff, the clock seam. Holds no domain knowledge.
export { ERROR_CATALOGUE, ERROR_HTTP_STATUS, TzError, httpStatusOf, isTzError, toError, type TzErrorCode, type TzErrorOptions } from './errors.ts';
export { installErrorHandler, parseRequest, zodProblems, formatProblems, type ErrorShape, type InputProblem } from './http-errors.ts';
export { createLogger, type Logger } from './logger.ts';
export { systemClock, ManualClock, type Clock } from './clock.ts';
export { SimulatedClock, parseSimulatedClock, serviceClock, clockKind, type ClockKind } from './clock.ts';
export { claimSqliteClock, claimSqliteFileClock, claimInfluxClock } from './store-clock.ts';
export { CityCalendar, cityCalendar, defaultTimeZone, DEFAULT_TIME_ZONE, WEEKDAY_INDEX, type CityTime, type LocalTime } from './city-time.ts';
export { parseDuration, parseTimeOfDay } from './duration.ts';
export { openSqlite, migrateSqlite, type OpenSqliteOptions, type SqliteDurability, type SqliteMigration } from './sqlite.ts';
export { isPostgresUrl } from './store-url.ts';
export { Backoff, delay } from './backoff.ts';
export { isMqttAuthRefusal, reconnectWithBackoff, sharedTopic, subscribeTracked, type MqttServiceAccount, type SubscriptionHealth } from './mqtt-session.ts';
export { createServiceHttp, listenService, createRegistry, type HealthReport, type RunningService, type ServiceHttpOptions } from './service-http.ts';
export {
  detectInfluxApi,
  queryInfluxQL,
  createInfluxDatabase,
  rewriteV1WritePath,
  influxAuthHeaders,
  quoteIdentifier,
  type InfluxTarget,
  type InfluxSeries,
} from './influx-client.ts';
export { markdownTable, processCpuSeconds, processRssMiB, type Bench, type BenchContext } from './bench.ts';
export { openAccessTokens, requireRole, bearerToken, ROLES, type Role, type Principal, type AccessTokens, type RolePreHandler } from './access.ts';
export { type SqliteAccessTokens, type IssueInput, type IssuedToken } from './access.ts';
export { openAccessStore, type OpenedAccessStore, type AccessStoreOptions } from './access-store.ts';
export { openAuditLog, scrubSecrets, recordCommandSent, recordConfigPushed, AUDIT_RESULTS, type AuditLog, type AuditEntry, type AuditRecord, type AuditQuery, type AuditResult, type AuditAppend } from './audit.ts';
export { recordHttpChanges, registerAuditApi, type AuditedRoute } from './audit-http.ts';
export { actorOf } from './actor.ts';
export { renderMigrations, renderSchemaSteps, renderColumn, type SchemaMigration, type SchemaStep, type TableSpec, type IndexSpec, type ColumnSpec, type PortableType, type SqlDialect } from './schema-ddl.ts';
export { AckLedger, PUBACK_DEFERRED } from './mqtt-acks.ts';
export { runSteps, step, thenMaybe, type Maybe, type Steps } from './steps.ts';
export { mulberry32 } from './mulberry32.ts';

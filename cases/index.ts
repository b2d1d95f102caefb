// The case room: the digital urban-management workflow from alarm (or
// citizen report) to repaired, verified and closed asset — states and audit
// trail, categories and SLA, crews and dispatch, notifications (outbox →
// webhook, MQTT), KPIs, Open311 GeoReport v2. Storage behind CaseStore.
export { openCaseSystem, type CaseSystem, type CaseSystemOptions, type CaseSystemStats } from './case-system.ts';
export { createAlarmSink, type AlarmSink, type IntakeResult } from './alarm-intake.ts';
export { CaseWorkflow, SYSTEM_ACTOR, MAX_ESCALATION_LEVEL, type ActorRef, type NewCaseInput } from './case-workflow.ts';
export { TRANSITIONS, CASE_ACTIONS, checkTransition, actionsFrom, type CaseAction, type Actor, type TransitionRule } from './transitions.ts';
export { DEFAULT_CASE_CONFIG, parseCaseConfig, loadCaseConfig, caseConfigSchema, type CaseConfig, type CategoryConfig } from './config.ts';
export type { CaseStore, CaseTx, CaseQuery, OutboxCounts } from './case-store.ts';
export { SqliteCaseStore } from './sqlite-case-store.ts';
export { chooseCrew, type CrewChoice } from './dispatch.ts';
export { computeKpis, KPI_TARGETS, type KpiReport } from './kpis.ts';
export { signWebhook, verifyWebhookSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER, DELIVERY_HEADER } from './webhook.ts';
export { sniffImage } from './photos.ts';
export { retryDelay, DEFAULT_RETRY, type RetryPolicy } from './outbox.ts';
export {
  CASE_STATUSES, FINAL_STATUSES, PRIORITIES, CASE_SOURCES,
  type CaseStatus, type CasePriority, type CaseSource, type CaseRecord, type CaseEventRecord, type Crew, type CaseNotification, type CaseSummary,
  type OutboxMessage, type SlaStage,
} from './model.ts';
export { locatePlace, placeOfAlarm, type GridLocator, type AssetPlaces, type AssetPlace } from './places.ts';
export { buildMonthlyReport, monthlyReportCsv, monthlyReportHtml, type MonthlyReport } from './monthly-report.ts';
export { htmlToPdf } from './report-pdf.ts';
export { rateCase, ratingOf, satisfactionOf, callerPhone, type CaseRating } from './rating.ts';
export { loadStandardCatalogue, parseStandardCatalogue, SHIPPED_STANDARD_FILE, type StandardCatalogue, type StandardClass } from './standard-codes.ts';
export { categoryLabel, type CategoryLabel } from './config.ts';
export { monthWindow, cityInstant } from './city-time.ts';
export { PostgresCaseStore, type PostgresCaseStoreOptions } from './postgres-case-store.ts';
export { openCaseStore, isPostgresUrl } from './open-case-store.ts';

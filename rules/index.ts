// The rules room: the streaming rule evaluator, the alarm lifecycle, the
// work-order cases (SQLite) and their HTTP API. Later: rule editing,
// backtest, the full case workflow (dispatch, SLA, Open311), notifications.
export { startRules, type RulesOptions, type RulesService } from './service.ts';
export { RuleEvaluator, type RuleReading, type AlarmTransition, type TransitionKind, type EvidenceReading, type EvaluationResult, type RuleEvaluatorOptions } from './evaluator.ts';
export { evaluateCondition, metricsOf, type MetricValue, type MetricLookup } from './conditions.ts';
export { CASE_DUE_HOURS, dueAt } from './case-workflow.ts';
export type { AlarmRecord, AlarmState, CaseRecord, CaseStatus, CaseEventRecord, CaseStore, CasePriority } from './case-store.ts';
export { SqliteCaseStore } from './sqlite-store.ts';

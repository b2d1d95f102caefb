// The rules room: the rule language's engine (scope index, streaming
// evaluator, no-data, flapping, escalation), the alarm lifecycle with
// incidents and gateway suppression, at-least-once alarm events (outbox →
// MQTT and injected sinks), runtime rule editing with versions, backtest over
// InfluxDB history, and the HTTP API. Cases live in the cases room.
export { startRules, type RulesOptions, type RulesService } from './service.ts';
export type { AlarmSink } from './outbox.ts';
export { RulesEngine, type RulesCounters, type RulesEngineOptions, type RejectReason } from './engine.ts';
export { RuleEvaluator, type RuleReading, type AlarmTransition, type TransitionKind, type EvidenceReading, type EvaluationResult, type MetricValue } from './evaluator.ts';
export { compileRuleSet } from './compile.ts';
export { CityCalendar } from './city-time.ts';
export { BUILTIN_RULES, jsonDiff, type EffectiveRule } from './rule-set.ts';
export { runBacktest, type BacktestRequest, type BacktestResult } from './backtest.ts';
export { SqliteRulesStore, type AlarmRecord, type AlarmState } from './sqlite-store.ts';
export { createRulesMetrics, type RulesMetrics } from './metrics.ts';
export { SilenceBook, silenceMatches, silenceState, SILENCE_KINDS, MAX_SILENCE_MS, type Silence, type SilenceMatchers, type DeviceFacts, type SilenceSubject, type NewSilence } from './silences.ts';
export { openRulesStore } from './service.ts';
export { runSteps, step, type RulesStore, type RulesTx, type AlarmRecords, type OutboxQueue, type RuleDocuments, type Checkpoints, type Maybe, type Steps } from './rules-store.ts';

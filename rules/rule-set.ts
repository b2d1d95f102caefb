import { ruleSchema, unknownMetrics, type Condition, type DeviceProfile, type ProfileCatalogue, type RuleSpec } from '../device-profiles/index.ts';
import { TzError, type Clock } from '../service-kit/index.ts';
import { runSteps, step, type Maybe, type RuleDocRow, type RuleDocuments, type RulesStore, type RuleVersionRow, type Steps } from './rules-store.ts';

// The effective rule set: built-in rules, each profile's default rules, and
// operators' documents (new rules, or replacements of a default, with
// per-district / per-device overrides). Every change is validated first
// (errors name the path and the problem), stored with a version (who, when,
// diff) and applied at once, without a restart. The operators' documents are
// held in memory (loaded at start, `refresh()` picks up what another rules
// service on the same PostgreSQL wrote).

export type RuleSource = 'builtin' | 'profile' | 'operator';

/** Rules every device class gets unless an operator changes them. */
export const BUILTIN_RULES: readonly RuleSpec[] = [
  {
    id: 'device-silent', name: 'Device stopped reporting',
    description: 'No reading for 3 of the report intervals its profile expects (reportIntervalSeconds): 45 min for a manhole cover, 18 h for a 6-hourly LoRa meter.',
    noData: { missedReports: 3 }, severity: 'warning',
  },
];

export interface EffectiveRule {
  spec: RuleSpec;
  source: RuleSource;
  /** Version of the operator's document; 0 for an unchanged default. */
  version: number;
  updatedAt: number | null;
  updatedBy: string | null;
  /** The built-in or profile default this rule replaces, if any. */
  defaultSpec: RuleSpec | null;
}

export interface RuleProblem { path: string; problem: string }
export interface JsonChange { path: string; from?: unknown; to?: unknown }

/** Paths and values that differ between two JSON documents. */
export function jsonDiff(a: unknown, b: unknown, path = ''): JsonChange[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => jsonDiff(a[k], b[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) return a.flatMap((x, i) => jsonDiff(x, b[i], `${path}.${i}`));
  const change: JsonChange = { path: path || '(rule)' };
  if (a !== undefined) change.from = a;
  if (b !== undefined) change.to = b;
  return [change];
}

function invalid(id: string, problems: RuleProblem[]): TzError {
  return new TzError('TZ_RULE_INVALID', `${problems.length} problem(s) in rule "${id}": ${problems.map((p) => `${p.path || '(rule)'}: ${p.problem}`).join('; ')}`, { details: { problems } });
}

export class RuleSet {
  private readonly defaults = new Map<string, { spec: RuleSpec; source: RuleSource }>();
  private listeners: Array<(specs: RuleSpec[]) => void> = [];
  private docs: RuleDocRow[] = [];

  constructor(private readonly store: RuleDocuments & Pick<RulesStore, 'transaction'>, private readonly profiles: ProfileCatalogue, private readonly clock: Clock) {
    for (const spec of BUILTIN_RULES) this.defaults.set(spec.id, { spec, source: 'builtin' });
    const owner = new Map<string, string>();
    for (const profile of profiles.all()) {
      for (const rule of profile.rules) {
        const other = owner.get(rule.id) ?? (this.defaults.has(rule.id) ? 'the built-in rules' : undefined);
        if (other) throw new TzError('TZ_PROFILE_INVALID', `rule id "${rule.id}" of profile ${profile.class} is already used by ${other}; rule ids are city-wide, rename one`);
        owner.set(rule.id, `profile ${profile.class}`);
        // A profile's rule is for that class only.
        this.defaults.set(rule.id, { spec: { ...rule, scope: { ...rule.scope, classes: rule.scope?.classes ?? [profile.class] } }, source: 'profile' });
      }
    }
  }

  onChange(listener: (specs: RuleSpec[]) => void): void {
    this.listeners.push(listener);
  }

  /** Reads the operators' documents (at start). */
  load(): Maybe<void> {
    const docs = this.store.ruleDocs();
    if (docs instanceof Promise) return docs.then((d) => { this.docs = d; this.changed(); });
    this.docs = docs;
    this.changed();
  }

  /** Reads the documents again; listeners hear of it only when they changed (another rules service edited a rule). */
  refresh(): Maybe<boolean> {
    const apply = (docs: RuleDocRow[]): boolean => {
      const key = (d: RuleDocRow[]) => d.map((r) => `${r.id}@${r.version}`).join(',');
      if (key(docs) === key(this.docs)) return false;
      this.docs = docs;
      this.changed();
      return true;
    };
    const docs = this.store.ruleDocs();
    return docs instanceof Promise ? docs.then(apply) : apply(docs);
  }

  private changed(): void {
    const specs = this.specs();
    for (const l of this.listeners) l(specs);
  }

  specs(): RuleSpec[] {
    return this.list().map((r) => r.spec);
  }

  list(): EffectiveRule[] {
    const docs = new Map(this.docs.map((d) => [d.id, d]));
    const out: EffectiveRule[] = [];
    for (const [id, def] of this.defaults) {
      const doc = docs.get(id);
      out.push(doc
        ? { spec: doc.doc, source: def.source, version: doc.version, updatedAt: doc.updatedAt, updatedBy: doc.updatedBy, defaultSpec: def.spec }
        : { spec: def.spec, source: def.source, version: 0, updatedAt: null, updatedBy: null, defaultSpec: null });
      docs.delete(id);
    }
    for (const doc of docs.values()) out.push({ spec: doc.doc, source: 'operator', version: doc.version, updatedAt: doc.updatedAt, updatedBy: doc.updatedBy, defaultSpec: null });
    return out.sort((a, b) => a.spec.id.localeCompare(b.spec.id));
  }

  get(id: string): EffectiveRule {
    const rule = this.list().find((r) => r.spec.id === id);
    if (!rule) throw new TzError('TZ_RULE_NOT_FOUND', `no rule "${id}"; see GET /api/v1/rules`);
    return rule;
  }

  /** Schema and meaning (classes, metrics, types) of a rule document; throws TZ_RULE_INVALID with every problem. */
  validate(doc: unknown): RuleSpec {
    const id = typeof doc === 'object' && doc !== null && typeof (doc as { id?: unknown }).id === 'string' ? (doc as { id: string }).id : '(no id)';
    const parsed = ruleSchema.safeParse(doc);
    if (!parsed.success) throw invalid(id, parsed.error.issues.map((i) => ({ path: i.path.join('.'), problem: i.message })));
    const spec = parsed.data;
    const problems: RuleProblem[] = [];
    const all = this.profiles.all();
    const known = new Set(all.map((p) => p.class));
    spec.scope?.classes?.forEach((c, i) => { if (!known.has(c)) problems.push({ path: `scope.classes.${i}`, problem: `no device class "${c}" (known: ${[...known].join(', ')})` }); });
    spec.scope?.profiles?.forEach((p, i) => {
      const [cls, version] = p.split('@');
      const profile = all.find((x) => x.class === cls);
      if (!profile) problems.push({ path: `scope.profiles.${i}`, problem: `no device class "${cls}"` });
      else if (Number(version) > profile.version) problems.push({ path: `scope.profiles.${i}`, problem: `profile ${cls} is at version ${profile.version}` });
    });
    const inScope = all.filter((p) => (!spec.scope?.classes || spec.scope.classes.includes(p.class)) && (!spec.scope?.profiles || spec.scope.profiles.some((x) => x.startsWith(`${p.class}@`))));
    const check = (c: Condition | undefined, path: string) => { if (c) problems.push(...this.checkCondition(c, path, inScope)); };
    check(spec.when, 'when');
    check(spec.clear, 'clear');
    spec.overrides?.forEach((o, i) => { check(o.set.when, `overrides.${i}.set.when`); check(o.set.clear, `overrides.${i}.set.clear`); });
    if (problems.length > 0) throw invalid(spec.id, problems);
    return spec;
  }

  private checkCondition(c: Condition, path: string, profiles: DeviceProfile[]): RuleProblem[] {
    const problems: RuleProblem[] = [];
    const classes = profiles.map((p) => p.class).join(', ') || 'none';
    const names = new Set(profiles.flatMap((p) => p.metrics.map((m) => m.name)));
    for (const u of unknownMetrics(c, names, path)) problems.push({ path: u.path, problem: `unknown metric "${u.metric}" (not in the profiles in scope: ${classes})` });
    const walk = (x: Condition, at: string): void => {
      if ('all' in x) x.all.forEach((y, i) => walk(y, `${at}.all.${i}`));
      else if ('any' in x) x.any.forEach((y, i) => walk(y, `${at}.any.${i}`));
      else if ('not' in x) walk(x.not, `${at}.not`);
      else if ('metric' in x) {
        const types = new Set(profiles.flatMap((p) => p.metrics.filter((m) => m.name === x.metric).map((m) => m.type)));
        const windowed = x.change ?? x.rate ?? x.avg ?? x.min ?? x.max;
        if (types.has('boolean') && windowed !== undefined) problems.push({ path: at, problem: `${x.metric} is true/false; only count works over a window` });
        if (types.has('boolean') && x.count === undefined && (typeof x.value === 'number' || x.between || x.outside)) problems.push({ path: `${at}.value`, problem: `${x.metric} is true/false; compare it with == true or == false` });
        if (!types.has('boolean') && types.size > 0 && x.count === undefined && typeof x.value === 'boolean') problems.push({ path: `${at}.value`, problem: `${x.metric} is a number; compare it with a number` });
      }
    };
    walk(c, path);
    return problems;
  }

  create(doc: unknown, who: string): Maybe<EffectiveRule> {
    const spec = this.validate(doc);
    if (this.list().some((r) => r.spec.id === spec.id)) throw new TzError('TZ_RULE_CONFLICT', `rule "${spec.id}" exists; change it with PUT /api/v1/rules/${spec.id}`);
    return then(this.write(spec.id, spec, null, 'create', who), () => this.get(spec.id));
  }

  replace(id: string, doc: unknown, who: string, expectedVersion?: number): Maybe<EffectiveRule> {
    const spec = this.validate(doc);
    if (spec.id !== id) throw invalid(id, [{ path: 'id', problem: `the document's id "${spec.id}" differs from the rule in the URL "${id}"` }]);
    const current = this.get(id);
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw new TzError('TZ_RULE_CONFLICT', `rule "${id}" is at version ${current.version}, not ${expectedVersion}; reload it and apply your change again`);
    return then(this.write(id, spec, current.spec, 'update', who, undefined, undefined, current.version), () => this.get(id));
  }

  /** Deletes an operator's rule, or reverts a changed default to the default. */
  remove(id: string, who: string): Maybe<{ deleted: boolean; revertedTo: RuleSpec | null }> {
    const current = this.get(id);
    const def = this.defaults.get(id);
    if (current.version === 0 && def) throw new TzError('TZ_RULE_CONFLICT', `rule "${id}" is a ${def.source} default and cannot be deleted; disable it with mode: disabled (PUT)`);
    return then(this.write(id, def ? null : null, current.spec, def ? 'revert' : 'delete', who, def?.spec ?? null), () => ({ deleted: !def, revertedTo: def?.spec ?? null }));
  }

  history(id: string): Maybe<RuleVersionRow[]> {
    return then(this.store.ruleVersions(id), (rows) => {
      if (rows.length === 0) this.get(id);
      return rows;
    });
  }

  rollback(id: string, version: number, who: string): Maybe<EffectiveRule | null> {
    const ruleSet = this;
    return runSteps((function* (): Steps<EffectiveRule | null> {
      const target = (yield* step(ruleSet.store.ruleVersions(id))).find((v) => v.version === version);
      yield* step(ruleSet.rollbackTo(id, version, target, who));
      return ruleSet.list().find((r) => r.spec.id === id) ?? null;
    })());
  }

  private rollbackTo(id: string, version: number, target: RuleVersionRow | undefined, who: string): Maybe<void> {
    if (!target) throw new TzError('TZ_RULE_NOT_FOUND', `rule "${id}" has no version ${version}; see GET /api/v1/rules/${id}/history`);
    const current = this.list().find((r) => r.spec.id === id);
    const def = this.defaults.get(id);
    const doc = target.doc;
    if (doc && def && JSON.stringify(doc) === JSON.stringify(def.spec)) return this.write(id, null, current?.spec ?? null, 'rollback', who, def.spec, `to version ${version}`);
    if (doc) return this.write(id, this.validate(doc), current?.spec ?? null, 'rollback', who, undefined, `to version ${version}`);
    return this.write(id, null, current?.spec ?? null, 'rollback', who, def?.spec ?? null, `to version ${version}`);
  }

  /**
   * One change: the operator's document (null = none, the default applies),
   * the version row with its diff, and the listeners — in one transaction.
   */
  private write(id: string, doc: RuleSpec | null, before: RuleSpec | null, action: string, who: string, effectiveAfter?: RuleSpec | null, note?: string, expectedVersion?: number): Maybe<void> {
    const now = this.clock.now();
    const after = doc ?? effectiveAfter ?? null;
    const written = this.store.transaction(function* (tx) {
      const version = (yield* step(tx.latestRuleVersion(id))) + 1;
      // Another rules service on the same database may have changed it since this one read it.
      if (expectedVersion !== undefined && expectedVersion > 0) {
        const current = (yield* step(tx.ruleDocs())).find((d) => d.id === id);
        if (current && current.version !== expectedVersion) throw new TzError('TZ_RULE_CONFLICT', `rule "${id}" is at version ${current.version}, not ${expectedVersion}; reload it and apply your change again`);
      }
      if (doc) yield* step(tx.putRuleDoc(id, doc, version, who, now));
      else yield* step(tx.deleteRuleDoc(id));
      yield* step(tx.addRuleVersion({ ruleId: id, version, action, doc: after, diff: jsonDiff(before ?? undefined, after ?? undefined), who, at: now, note: note ?? null }));
      return yield* step(tx.ruleDocs());
    });
    return then(written, (docs) => {
      this.docs = docs;
      this.changed();
    });
  }
}

/** `fn` of a value now, or of a Promise's value later. */
function then<T, R>(value: Maybe<T>, fn: (v: T) => R): Maybe<R> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

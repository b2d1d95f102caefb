// Per-account grants: topics an integrator gives one account on top of its
// role (acl.ts), in the users file (`users[].grants`) or broker.yaml
// (`grants: {username: [...]}`). Still deny by default: a grant only turns a
// `not-allowed` or `foreign-branch` refusal into an allow, never a `$`-topic,
// the broker-only gateway events or a malformed `$share`.
import { z } from 'zod';
import { TOPIC_ROOT } from '../proto/index.ts';
import { TzError } from '../service-kit/index.ts';
import { filterWithin, parseSharedFilter, topicMatches, type AclDenial, type BrokerIdentity } from './acl.ts';
import type { BrokerRole } from './users.ts';

/** Why a filter cannot be a grant; null = it can. MQTT 3.1.1 §4.7.1 (wildcards), §4.7.2 ($-topics). */
export function grantFilterProblem(filter: string): string | null {
  if (filter.length === 0) return 'must not be empty';
  if (Buffer.byteLength(filter) > 65_535) return 'longer than an MQTT topic may be';
  if (filter.includes('\u0000')) return 'contains U+0000';
  if (filter.startsWith('$')) return '$-topics ($SYS and the broker\'s own) cannot be granted';
  const levels = filter.split('/');
  if (levels[0] === '#' || levels[0] === '+') return 'a wildcard in the first level would cover every tree (and $SYS on brokers that ignore MQTT §4.7.2): name the tree, e.g. tz/v1/…';
  for (const [i, level] of levels.entries()) {
    if (level === '') return 'empty topic level (a//b, or a leading or trailing /)';
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return "'#' must be a whole level and the last one (MQTT §4.7.1.2)";
    if (level.includes('+') && level !== '+') return "'+' must be a whole level (MQTT §4.7.1.3)";
  }
  return null;
}

/** True when `filter` can match a topic under `tz/v1/gw/{id}/` for some id other than `ownId`. */
export function reachesForeignBranch(filter: string, ownId: string): boolean {
  const f = filter.split('/');
  const tree = [...TOPIC_ROOT.split('/'), 'gw'];
  for (let i = 0; i < tree.length; i++) {
    if (f[i] === '#') return true;
    if (f[i] !== '+' && f[i] !== tree[i]) return false;
  }
  const id = f[tree.length];
  if (id === undefined) return false; // only the tree's root itself, no gateway's branch
  return id === '#' || id === '+' || id !== ownId;
}

const filter = z.string().superRefine((value, ctx) => {
  const problem = grantFilterProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** One grant: exactly one of publish/subscribe. `allowForeignBranch` lets a gateway account's grant reach other gateways' branches. */
export const grantSchema = z
  .strictObject({ publish: filter.optional(), subscribe: filter.optional(), allowForeignBranch: z.boolean().optional() })
  .refine((g) => (g.publish === undefined) !== (g.subscribe === undefined), 'a grant names exactly one of publish or subscribe');
export type Grant = ({ publish: string; subscribe?: undefined } | { subscribe: string; publish?: undefined }) & { allowForeignBranch?: boolean | undefined };

export const grantsSchema = z.array(grantSchema).transform((list) => list as Grant[]);

function grantFilter(grant: Grant): string {
  return grant.publish ?? grant.subscribe;
}

/** For a gateway account: the index of each grant that reaches into another gateway's branch without saying so. */
export function foreignGrantProblems(grants: readonly Grant[], account: { username: string; role: BrokerRole }): Array<{ index: number; key: 'publish' | 'subscribe'; message: string }> {
  if (account.role !== 'gateway') return [];
  const problems: Array<{ index: number; key: 'publish' | 'subscribe'; message: string }> = [];
  grants.forEach((grant, index) => {
    if (grant.allowForeignBranch === true || !reachesForeignBranch(grantFilter(grant), account.username)) return;
    problems.push({
      index,
      key: grant.publish !== undefined ? 'publish' : 'subscribe',
      message: `"${grantFilter(grant)}" reaches into another gateway's branch (${TOPIC_ROOT}/gw/{other}/…); gateway "${account.username}" may only be granted that with allowForeignBranch: true`,
    });
  });
  return problems;
}

/**
 * broker.yaml's `grants` checked against the accounts that exist at start:
 * every problem as `file: grants.{user}.{i}.{key}: problem`. An account the
 * users file does not have is an error too (a typo must not grant nothing silently).
 */
export function checkConfigGrants(grants: Readonly<Record<string, readonly Grant[]>>, roleOf: (username: string) => BrokerRole | undefined, source: string): void {
  const problems: string[] = [];
  for (const [username, list] of Object.entries(grants)) {
    const role = roleOf(username);
    if (!role) {
      problems.push(`${source}: grants.${username}: no such account in the users file`);
      continue;
    }
    for (const p of foreignGrantProblems(list, { username, role })) problems.push(`${source}: grants.${username}.${p.index}.${p.key}: ${p.message}`);
  }
  if (problems.length > 0) throw new TzError('TZ_CONFIG_INVALID', problems.join('\n'), { details: { file: source } });
}

const OVERRIDABLE: ReadonlySet<AclDenial> = new Set(['not-allowed', 'foreign-branch']);

/**
 * The role's answer (`denial`, from checkPublish/checkSubscribe), widened by
 * the account's grants. A subscription `$share/{group}/{filter}` is granted
 * by its inner filter. For a gateway account, a grant reaching another
 * gateway's branch counts only with allowForeignBranch (also checked at load).
 */
export function applyGrants(denial: AclDenial | null, who: BrokerIdentity, grants: readonly Grant[], kind: 'publish' | 'subscribe', topicOrFilter: string): AclDenial | null {
  if (denial === null || grants.length === 0 || !OVERRIDABLE.has(denial)) return denial;
  let target = topicOrFilter;
  if (kind === 'subscribe') {
    const share = parseSharedFilter(topicOrFilter);
    if (share === 'invalid') return denial;
    if (share) target = share.filter;
  }
  for (const grant of grants) {
    if (who.role === 'gateway' && grant.allowForeignBranch !== true && reachesForeignBranch(grantFilter(grant), who.username)) continue;
    if (kind === 'publish' && grant.publish !== undefined && topicMatches(grant.publish, target)) return null;
    if (kind === 'subscribe' && grant.subscribe !== undefined && filterWithin(target, grant.subscribe)) return null;
  }
  return denial;
}

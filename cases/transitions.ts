import type { Role } from '../service-kit/index.ts';
import type { CaseStatus } from './model.ts';

// The case state machine as one table: every legal move, who may make it and
// whether a note is required. Anything not listed is refused (no skipping).

export const CASE_ACTIONS = ['register', 'reject', 'dispatch', 'reassign', 'accept', 'return', 'handle', 'rework', 'verify', 'close', 'cancel', 'reopen', 'arrive'] as const;
export type CaseAction = (typeof CASE_ACTIONS)[number];

/** `system` is the case system itself (alarm intake, SLA checker, auto-dispatch). */
export type Actor = Role | 'system';

export interface TransitionRule {
  from: readonly CaseStatus[];
  to: CaseStatus;
  roles: readonly Actor[];
  /** A reason is required (rejecting, sending back, cancelling). */
  noteRequired: boolean;
  /** Verification (核查) needs evidence: a photo of the case or an explicit reference (GB/T 30428: the inspector checks on site). */
  evidenceRequired?: boolean;
}

// Roles as GB/T 30428 splits the work: the command centre (指挥中心: operator,
// dispatcher) registers, dispatches and closes; departments' crews handle; the
// supervision centre's inspectors (监督员) verify on site. So an operator cannot
// verify, an inspector cannot dispatch, a crew cannot verify its own repair.
// A failed verification is `rework`: back to in_progress with the same crew.
export const TRANSITIONS: Readonly<Record<CaseAction, TransitionRule>> = {
  register: { from: ['reported'], to: 'registered', roles: ['operator', 'dispatcher', 'system'], noteRequired: false },
  reject: { from: ['reported'], to: 'rejected', roles: ['operator', 'dispatcher'], noteRequired: true },
  dispatch: { from: ['registered'], to: 'dispatched', roles: ['dispatcher', 'operator', 'system'], noteRequired: false },
  reassign: { from: ['dispatched', 'in_progress'], to: 'dispatched', roles: ['dispatcher'], noteRequired: false },
  accept: { from: ['dispatched'], to: 'in_progress', roles: ['crew'], noteRequired: false },
  return: { from: ['dispatched'], to: 'registered', roles: ['crew', 'dispatcher'], noteRequired: true },
  handle: { from: ['in_progress'], to: 'handled', roles: ['crew'], noteRequired: false },
  rework: { from: ['handled'], to: 'in_progress', roles: ['inspector', 'dispatcher'], noteRequired: true, evidenceRequired: true },
  verify: { from: ['handled'], to: 'verified', roles: ['inspector'], noteRequired: false, evidenceRequired: true },
  close: { from: ['verified'], to: 'closed', roles: ['operator', 'dispatcher'], noteRequired: false },
  cancel: { from: ['reported', 'registered', 'dispatched', 'in_progress'], to: 'cancelled', roles: ['operator', 'dispatcher'], noteRequired: true },
  reopen: { from: ['closed'], to: 'registered', roles: ['operator', 'system'], noteRequired: true },
  // The crew is on site: a timestamped, audited event that leaves the status as it is.
  arrive: { from: ['in_progress'], to: 'in_progress', roles: ['crew'], noteRequired: false },
};

export type TransitionCheck =
  | { ok: true; to: CaseStatus }
  | { ok: false; reason: 'illegal' | 'role' | 'note' | 'evidence'; message: string };

/**
 * Whether `actor` may take `action` on a case in `from`; admin may do what any
 * human role may (an admin verifying is an override, audited as such).
 * `evidence` is a photo id or reference; only checked when the rule wants one.
 */
export function checkTransition(action: CaseAction, from: CaseStatus, actor: Actor, note: string | null | undefined, evidence?: string | null): TransitionCheck {
  const rule = TRANSITIONS[action];
  if (!rule.from.includes(from)) {
    return { ok: false, reason: 'illegal', message: `cannot ${action} a case that is ${from}; from ${from} the case can: ${actionsFrom(from).join(', ') || 'nothing (final)'}` };
  }
  const allowed = actor === 'admin' ? rule.roles.some((r) => r !== 'system') : rule.roles.includes(actor);
  if (!allowed) return { ok: false, reason: 'role', message: `role ${actor} may not ${action} a case (allowed: ${rule.roles.filter((r) => r !== 'system').join(', ')})` };
  if (rule.noteRequired && !(note && note.trim())) return { ok: false, reason: 'note', message: `${action} needs a note saying why` };
  if (rule.evidenceRequired && !(evidence && evidence.trim())) return { ok: false, reason: 'evidence', message: `${action} needs evidence: photoId (a photo uploaded to the case) or evidence (a reference)` };
  return { ok: true, to: rule.to };
}

/** Actions possible from a status (whatever the role). */
export function actionsFrom(status: CaseStatus): CaseAction[] {
  return CASE_ACTIONS.filter((a) => TRANSITIONS[a].from.includes(status));
}

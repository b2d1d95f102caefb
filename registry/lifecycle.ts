import type { LifecycleState } from './model.ts';

// A device's lifecycle as one table (like cases/transitions.ts): which state
// may follow which. Every move is kept with who and when (device_history).

export const TRANSITIONS: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = {
  // An operator accepts a reported device into the plan or straight into service, or rejects it.
  discovered: ['planned', 'installed', 'active', 'retired'],
  planned: ['installed', 'retired'],
  installed: ['active', 'maintenance', 'retired'],
  active: ['maintenance', 'retired'],
  maintenance: ['active', 'retired'],
  retired: [],
};

/** States a device may be created in (import of an existing fleet may start at active). */
export const CREATABLE_STATES: readonly LifecycleState[] = ['planned', 'installed', 'active', 'maintenance'];

export function canTransition(from: LifecycleState, to: LifecycleState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Why `from → to` is refused, or null when it is allowed. */
export function transitionProblem(from: LifecycleState, to: LifecycleState): string | null {
  if (from === to) return null;
  if (canTransition(from, to)) return null;
  const next = TRANSITIONS[from];
  return `cannot go from ${from} to ${to} (from ${from}: ${next.length ? next.join(', ') : 'nothing, it is final'})`;
}

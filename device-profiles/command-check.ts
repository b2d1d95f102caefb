import type { ICommandParam } from '../proto/index.ts';
import type { CommandSpec, DeviceProfile } from './schema.ts';

// The one check of a command against its device's profile, used by the edge
// agent before it executes one and by the centre's CommandCenter before it
// sends one (so an operator hears "no such param" at once, not after a round
// trip to the gateway).

/** A command as far as the check needs it (a protobuf Command fits). */
export interface CommandRequest {
  name?: string | null;
  params?: ICommandParam[] | null;
}

export type CheckedCommand = { ok: true; spec: CommandSpec; params: Map<string, number | boolean> } | { ok: false; reason: string };

/** Checks a command against the profile's command list: name known, every param present, typed and in range, nothing extra. */
export function checkCommand(profile: DeviceProfile, command: CommandRequest): CheckedCommand {
  const spec = profile.commands.find((c) => c.name === command.name);
  if (!spec) return { ok: false, reason: `profile ${profile.class} has no command "${command.name}"; it accepts: ${profile.commands.map((c) => c.name).join(', ') || 'none'}` };
  const given = new Map<string, number | boolean>();
  for (const p of command.params ?? []) {
    const name = String(p.name ?? '');
    if (given.has(name)) return { ok: false, reason: `param "${name}" given twice` };
    const value = p.flag ?? (p.integer !== undefined && p.integer !== null ? Number(p.integer) : p.number);
    if (value === undefined || value === null) return { ok: false, reason: `param "${name}" has no value` };
    given.set(name, value);
  }
  for (const name of given.keys()) if (!spec.params.some((p) => p.name === name)) return { ok: false, reason: `command ${spec.name} has no param "${name}"; params: ${spec.params.map((p) => p.name).join(', ') || 'none'}` };
  for (const p of spec.params) {
    const v = given.get(p.name);
    if (v === undefined) return { ok: false, reason: `param "${p.name}" is missing` };
    if (p.type === 'boolean' ? typeof v !== 'boolean' : typeof v !== 'number') return { ok: false, reason: `param "${p.name}" must be ${p.type}` };
    if (typeof v === 'number') {
      if (!Number.isFinite(v) || (p.type === 'integer' && !Number.isInteger(v))) return { ok: false, reason: `param "${p.name}" must be ${p.type === 'integer' ? 'a whole number' : 'a finite number'}` };
      if (p.min !== undefined && v < p.min) return { ok: false, reason: `param "${p.name}" ${v} is below ${p.min}` };
      if (p.max !== undefined && v > p.max) return { ok: false, reason: `param "${p.name}" ${v} is above ${p.max}` };
    }
  }
  return { ok: true, spec, params: given };
}

/**
 * Plain `{param: value}` (JSON from an operator, a rule's `command.params`) as
 * typed protobuf CommandParams, typed by the profile's spec: integer params as
 * `integer`, numbers as `number`, booleans as `flag`. Unknown names keep a
 * type by their value, so checkCommand names them.
 */
export function commandParamsOf(profile: DeviceProfile, name: string, values: Record<string, number | boolean>): ICommandParam[] {
  const spec = profile.commands.find((c) => c.name === name);
  return Object.entries(values).map(([param, value]) => {
    if (typeof value === 'boolean') return { name: param, flag: value };
    const type = spec?.params.find((p) => p.name === param)?.type;
    return type === 'integer' && Number.isInteger(value) ? { name: param, integer: value } : { name: param, number: value };
  });
}

import { encodeRegister, type CommandSpec, type DeviceProfile, type RegisterSpec } from '../device-profiles/index.ts';
import type { ICommand } from '../proto/index.ts';
import type { RegisterWrite } from './modbus-bus.ts';

export type CheckedCommand = { ok: true; spec: CommandSpec; params: Map<string, number | boolean> } | { ok: false; reason: string };

/** Checks a command against the profile's command list: name known, every param present, typed and in range, nothing extra. */
export function checkCommand(profile: DeviceProfile, command: ICommand): CheckedCommand {
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

/** The Modbus writes a checked command makes: each `writes` entry to its metric's register, encoded by the profile. */
export function modbusWrites(profile: DeviceProfile, checked: Extract<CheckedCommand, { ok: true }>): RegisterWrite[] | string {
  const out: RegisterWrite[] = [];
  for (const w of checked.spec.writes) {
    const reg: RegisterSpec | undefined = profile.modbus?.registers.find((r) => r.metric === w.metric);
    if (!reg || (reg.table !== 'coil' && reg.table !== 'holding')) return `metric ${w.metric} is not a writable coil or holding register`;
    out.push({ table: reg.table, address: reg.address, words: encodeRegister(reg, checked.params.get(w.param)!) });
  }
  if (out.length === 0) return `command ${checked.spec.name} writes no register`;
  return out;
}

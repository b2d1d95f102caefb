import { encodeRegister, type CheckedCommand, type DeviceProfile, type RegisterSpec } from '../device-profiles/index.ts';
import { TzError } from '../service-kit/index.ts';
import type { RegisterWrite } from './modbus-bus.ts';

// The pure check lives in device-profiles (the centre uses it too).
export { checkCommand, type CheckedCommand } from '../device-profiles/index.ts';

/** The Modbus writes a checked command makes: each `writes` entry to its metric's register, encoded by the profile. */
export function modbusWrites(profile: DeviceProfile, checked: Extract<CheckedCommand, { ok: true }>): RegisterWrite[] | string {
  const out: RegisterWrite[] = [];
  for (const w of checked.spec.writes) {
    const reg: RegisterSpec | undefined = profile.modbus?.registers.find((r) => r.metric === w.metric);
    if (!reg || (reg.table !== 'coil' && reg.table !== 'holding')) return `metric ${w.metric} is not a writable coil or holding register`;
    const value = checked.params.get(w.param);
    // The loader ties each write to a declared param and checkCommand requires every declared param, so a missing one is a bug.
    if (value === undefined) throw new TzError('TZ_INTERNAL', `command ${checked.spec.name}: checked params lack ${w.param}`);
    out.push({ table: reg.table, address: reg.address, words: encodeRegister(reg, value) });
  }
  if (out.length === 0) return `command ${checked.spec.name} writes no register`;
  return out;
}

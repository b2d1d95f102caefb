import type { DeviceProfile } from '../schema.ts';
import { bcdFormat } from './bcd.ts';

/** Cross-checks of the field-protocol sections a schema cannot express; problems as [path, problem]. */
export function fieldProtocolProblems(profile: DeviceProfile): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  const metrics = new Map(profile.metrics.map((m) => [m.name, m]));
  const known = (metric: string, path: string): void => {
    if (!metrics.has(metric)) problems.push([path, `unknown metric "${metric}" (not in metrics)`]);
  };
  const cjt188Reads = profile.cjt188?.reads ?? [];
  cjt188Reads.forEach((r, i) => {
    if (cjt188Reads.findIndex((o) => o.di.toUpperCase() === r.di.toUpperCase()) !== i) problems.push([`cjt188.reads.${i}.di`, `DI ${r.di} is read twice`]);
    r.fields.forEach((f, j) => {
      const path = `cjt188.reads.${i}.fields.${j}`;
      known(f.metric, `${path}.metric`);
      const isBool = metrics.get(f.metric)?.type === 'boolean';
      if (isBool !== (f.bit !== undefined)) problems.push([path, isBool ? `boolean metric "${f.metric}" needs a \`bit\`` : `\`bit\` fits boolean metrics only, "${f.metric}" is not one`]);
    });
  });
  profile.dlt645?.reads.forEach((r, i) => {
    known(r.metric, `dlt645.reads.${i}.metric`);
    if (bcdFormat(r.format).length > 8) problems.push([`dlt645.reads.${i}.format`, `${r.format} is longer than 8 bytes`]);
  });
  const codes = new Set<string>();
  profile.hj212?.pollutants.forEach((p, i) => {
    known(p.metric, `hj212.pollutants.${i}.metric`);
    if (codes.has(p.code)) problems.push([`hj212.pollutants.${i}.code`, `pollutant code ${p.code} is mapped twice`]);
    codes.add(p.code);
  });
  return problems;
}

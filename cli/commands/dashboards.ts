// `tianzhong dashboards …`: Grafana dashboards and provisioning generated from the device profiles.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { CliError, profileDir } from '../command-kit.ts';

export function registerDashboardsCommands(program: Command): void {
  const dashboards = program.command('dashboards').description('Grafana dashboards generated from the device profiles');
  dashboards
    .command('build')
    .description('regenerate dashboards/grafana (dashboard JSON and provisioning files) from the device profiles')
    .option('--out <dir>', 'output folder (default: dashboards/grafana in the repo)')
    .option('--dashboards-path <path>', 'folder Grafana reads the dashboard JSON from, written into provisioning/dashboards', '/var/lib/grafana/dashboards/tianzhong')
    .option('--check', 'write nothing; fail when the files on disk differ from a fresh build (for CI)')
    .action(async (opts: { out?: string; dashboardsPath: string; check?: boolean }) => {
      const { renderGrafanaFiles, writeGrafanaFiles, staleGrafanaFiles, GRAFANA_DIR } = await import('../../dashboards/index.ts');
      const { loadProfiles } = await import('../../device-profiles/index.ts');
      const files = renderGrafanaFiles(loadProfiles(profileDir(program)).all(), { dashboardsPath: opts.dashboardsPath });
      const dir = opts.out ? resolve(opts.out) : GRAFANA_DIR;
      if (opts.check) {
        const stale = staleGrafanaFiles(files, dir);
        if (stale.length > 0) throw new CliError(`${stale.length} generated file(s) out of date in ${dir}: ${stale.join(', ')}; run \`tianzhong dashboards build\``);
        console.error(`${files.length} generated files in ${dir} are up to date`);
        return;
      }
      const { written, removed } = writeGrafanaFiles(files, dir);
      console.error(`wrote ${written.length} files to ${dir}${removed.length ? `; removed ${removed.join(', ')}` : ''}`);
    });
}

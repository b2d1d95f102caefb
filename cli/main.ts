#!/usr/bin/env node
// `tianzhong`: one CLI that starts any component or the whole stack. Each
// component's commands live in cli/commands/<component>.ts.
import { Command } from 'commander';
import { isTzError } from '../service-kit/index.ts';
import { CliError } from './command-kit.ts';
import { registerStartCommands } from './commands/start.ts';
import { registerBrokerCommands } from './commands/broker.ts';
import { registerIngestCommands } from './commands/ingest.ts';
import { registerRulesCommands } from './commands/rules.ts';
import { registerEdgeAgentCommands } from './commands/edge-agent.ts';
import { registerSimCommands } from './commands/sim.ts';
import { registerSimMonthCommand } from './commands/sim-month.ts';
import { registerBenchCommands } from './commands/bench.ts';
import { registerDashboardsCommands } from './commands/dashboards.ts';
import { registerCasesCommands } from './commands/cases.ts';
import { registerRegistryCommands } from './commands/registry.ts';
import { registerDeviceCommandCommands } from './commands/device-command.ts';
import { registerDeviceGatewayCommands } from './commands/device-gateway.ts';
import { registerSilencesCommands } from './commands/silences.ts';
import { registerReportCommands } from './commands/report.ts';
import { registerAuditCommands } from './commands/audit.ts';
import { registerBackupCommands } from './commands/backup.ts';

const program = new Command('tianzhong')
  .description('Tianzhong: city street furniture online, from sensor reading to repaired asset')
  .option('--profiles <dir>', 'device profiles folder (env TZ_PROFILE_DIR; default: the built-in profiles)')
  .showHelpAfterError();

registerStartCommands(program);
registerBrokerCommands(program);
registerIngestCommands(program);
registerRulesCommands(program);
registerEdgeAgentCommands(program);
registerSimCommands(program);
registerSimMonthCommand(program);
registerBenchCommands(program);
registerDashboardsCommands(program);
registerCasesCommands(program);
registerRegistryCommands(program);
registerDeviceCommandCommands(program);
registerDeviceGatewayCommands(program);
registerSilencesCommands(program);
registerReportCommands(program);
registerAuditCommands(program);
registerBackupCommands(program);

program.parseAsync(process.argv).then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    if (err instanceof CliError) console.error(`tianzhong: ${err.message}`);
    else if (isTzError(err)) console.error(`tianzhong: ${err.message}`);
    else console.error(`tianzhong: unexpected error: ${(err as Error)?.stack ?? String(err)}`);
    process.exit(1);
  },
);

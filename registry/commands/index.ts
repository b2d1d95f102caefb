// Commands from the centre (issue 15, part B): checked against the device's
// profile, published to its gateway's down/cmd, followed to the CommandAck or
// a timeout, kept as history; HTTP routes; the sink that runs rules' commands.
export { CommandCenter, type CommandCenterDeps, type CommandChannel, type CommandDevice, type CommandRequest } from './command-center.ts';
export type { CommandRecord, CommandState } from './command-log.ts';
export { commandRoutes, commandView, type CommandRoutesOptions, type CommandView } from './http-api.ts';
export { ruleCommandSink, type RuleCommand, type RuleCommandSink } from './rule-commands.ts';

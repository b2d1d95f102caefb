// The gateway agent: polls Modbus devices and receives LoRaWAN uplinks by
// their profiles, batches readings and device status changes, keeps them in a
// disk queue until the broker acknowledges them, executes commands.
export { edgeAgentConfigSchema, parseEdgeAgentConfig, loadEdgeAgentConfig, type EdgeAgentConfig, type EdgeDeviceConfig, type EdgeAgentConfigInput } from './config.ts';
export { startEdgeAgent, type EdgeAgent, type EdgeAgentDeps } from './agent.ts';
export { CONFIG_TEMPLATE } from './config-template.ts';
export type { StoreAndForwardQueue, QueueEntry, QueuedBatch, QueueStats, AppendResult } from './store-and-forward-queue.ts';
export { SqliteStoreAndForwardQueue } from './sqlite-queue.ts';
export { MemoryStoreAndForwardQueue } from './memory-queue.ts';

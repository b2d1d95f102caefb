// The gateway agent: polls Modbus devices by their profiles, batches readings
// and device status changes, publishes protobuf UplinkBatches over MQTT.
export { edgeAgentConfigSchema, parseEdgeAgentConfig, loadEdgeAgentConfig, type EdgeAgentConfig, type EdgeDeviceConfig } from './config.ts';
export { startEdgeAgent, type EdgeAgent } from './agent.ts';

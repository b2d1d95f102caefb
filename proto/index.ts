// The wire contract: protobuf messages (proto/tianzhong/v1/*.proto) and the
// MQTT topic tree. Everything that crosses a process boundary is defined here.
export * from './codec.ts';
export * from './topics.ts';
export type * from './events.ts';
export * from './config-hash.ts';
export * from './device-topics.ts';

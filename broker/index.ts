// The MQTT broker room: Aedes with per-gateway credentials (scrypt hashes at
// rest) or client certificates, topic ACLs deny-by-default, login throttling,
// limits, TCP/TLS/WebSocket listeners, memory or Redis persistence, $share
// groups, gateway connection events, /metrics and /healthz.
export { hashPassword, verifyPassword, verifyPasswordAsync } from './passwords.ts';
export { BrokerUsers, BROKER_ROLES, isBrokerRole, generatePassword, MIN_PASSWORD_LENGTH, type BrokerRole, type BrokerUserRecord } from './users.ts';
export { checkPublish, checkSubscribe, filterWithin, topicMatches, parseSharedFilter, type BrokerIdentity, type AclDenial, type SharedFilter } from './acl.ts';
export { startBroker, DEFAULT_MAX_PACKET_SIZE, type BrokerOptions, type BrokerLimits, type RunningBroker } from './broker.ts';
export { loadBrokerConfig, brokerConfigSchema, type BrokerConfig } from './config.ts';
export { LoginThrottle, DEFAULT_LOGIN_THROTTLE, type LoginThrottleOptions } from './login-throttle.ts';
export { PublishRateLimiter, type PublishRateOptions } from './publish-rate.ts';
export { stickyKey } from './shared-subscriptions.ts';
export type { ListenerOptions, ListenerUrls, TlsListenerOptions } from './listeners.ts';
export type { PersistenceConfig } from './persistence.ts';
export { grantsSchema, checkConfigGrants, type Grant } from './grants.ts';

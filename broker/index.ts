// The MQTT broker room: Aedes with per-gateway credentials (scrypt hashes at
// rest), topic ACLs deny-by-default, a packet size limit, /metrics and /healthz.
export { hashPassword, verifyPassword } from './passwords.ts';
export { BrokerUsers, MIN_PASSWORD_LENGTH, type BrokerRole, type BrokerUserRecord } from './users.ts';
export { checkPublish, checkSubscribe, filterWithin, type BrokerIdentity, type AclDenial } from './acl.ts';
export { startBroker, DEFAULT_MAX_PACKET_SIZE, type BrokerOptions, type RunningBroker } from './broker.ts';

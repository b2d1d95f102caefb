import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { TzError, formatProblems, zodProblems } from '../service-kit/index.ts';
import { grantsSchema } from './grants.ts';
import { DEFAULT_SHARE_HANDOVER_MS, MAX_SHARE_HANDOVER_MS } from './share-handover.ts';

// broker.yaml: every key is documented in broker/README.md; parsed once at
// start, frozen. Unknown keys are errors (a typo must not silently fall back
// to a default). Paths are relative to the config file's folder.

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);

const tcpListener = z.strictObject({ host: host.default('127.0.0.1'), port: port.default(1883) });
const tlsListener = z.strictObject({
  host: host.default('127.0.0.1'),
  port: port.default(8883),
  /** PEM files. */
  cert: z.string().min(1),
  key: z.string().min(1),
  /** CA that signs client certificates; needed unless clientCertificates is none. */
  ca: z.string().min(1).optional(),
  /** none: passwords only; optional: a verified certificate logs its CN in; require: no handshake without one. */
  clientCertificates: z.enum(['none', 'optional', 'require']).default('none'),
});
const wsListener = z.strictObject({ host: host.default('127.0.0.1'), port: port.default(8083), path: z.string().startsWith('/').default('/mqtt') });

const persistence = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('memory') }),
  z.strictObject({
    type: z.literal('redis'),
    /** redis://[:password@]host:port[/db]; the password may also come from TZ_REDIS_PASSWORD. */
    url: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://'),
    /** Page size of the queue replay to a reconnecting persistent session (persistence.ts replays the whole queue). */
    maxSessionDelivery: z.number().int().positive().default(1000),
    /** Drop offline messages older than this; 0 = keep until delivered. */
    offlineMessageTtlSeconds: z.number().int().min(0).default(0),
    /** Between nodes: streams = Redis Streams, at least once (redis-stream-emitter.ts); pubsub = mqemitter-redis, at most once. */
    emitter: z.enum(['streams', 'pubsub']).default('streams'),
    /** Streams: entries kept (XADD MAXLEN ~); bounds Redis memory and the longest outage of one node's link that loses nothing. */
    streamMaxLen: z.number().int().min(1_000).default(50_000),
    streamKey: z.string().min(1).default('tz:broker:mq'),
  }),
]);

export const brokerConfigSchema = z.strictObject({
  /** This node's id: published in gateway events and used by Aedes to tell cluster nodes apart. */
  nodeId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).optional(),
  users: z.string().min(1).default('var/broker-users.json'),
  listeners: z
    .strictObject({ tcp: tcpListener.optional(), tls: tlsListener.optional(), ws: wsListener.optional() })
    .default({ tcp: { host: '127.0.0.1', port: 1883 } })
    .refine((l) => l.tcp || l.tls || l.ws, 'at least one of tcp, tls, ws is needed'),
  http: z.strictObject({ host: host.default('127.0.0.1'), port: port.default(9101) }).default({ host: '127.0.0.1', port: 9101 }),
  limits: z
    .strictObject({
      maxPacketSize: z.number().int().min(64).max(268_435_455).optional(),
      maxInflight: z.number().int().positive().optional(),
      maxOutgoingBytes: z.number().int().min(16_384).optional(),
      qos0HighWaterBytes: z.number().int().min(16_384).optional(),
      qos0ShedAfterMs: z.number().int().min(0).nullable().optional(),
      slowConsumerTimeoutMs: z.number().int().positive().optional(),
      queueLimit: z.number().int().positive().optional(),
      connectTimeoutMs: z.number().int().positive().optional(),
      keepaliveLimitSeconds: z.number().int().min(0).optional(),
      maxOfflineMessagesPerClient: z.number().int().positive().optional(),
      publishRate: z
        .strictObject({ perSecond: z.number().positive(), burst: z.number().int().positive(), maxDelayMs: z.number().int().min(0).default(1000) })
        .nullable()
        .optional(),
    })
    .default({}),
  loginThrottle: z
    .strictObject({
      maxFailures: z.number().int().positive().default(5),
      windowSeconds: z.number().positive().default(60),
      lockoutSeconds: z.number().positive().default(30),
      maxLockoutSeconds: z.number().positive().default(900),
      /** A whole address is locked out at most this long (default 4 × lockoutSeconds); its client and account keys escalate up to maxLockoutSeconds. */
      maxAddressLockoutSeconds: z.number().positive().optional(),
    })
    .optional(),
  persistence: persistence.default({ type: 'memory' }),
  deniedPublish: z.enum(['drop', 'disconnect']).default('drop'),
  gatewayEvents: z.boolean().default(true),
  /** A persistent $share member away this long has its unacknowledged and queued group messages handed to another member (share-handover.ts); 0 = at once. */
  shareHandoverMs: z.number().int().min(0).max(MAX_SHARE_HANDOVER_MS).default(DEFAULT_SHARE_HANDOVER_MS),
  /** Extra topics per account, on top of its role: `{gw-0001: [{publish: "tz/v1/x/#"}, {subscribe: "..."}]}` (grants.ts). */
  grants: z.record(z.string().min(1), grantsSchema).default({}),
});

export type BrokerConfig = z.infer<typeof brokerConfigSchema>;

/** Reads and validates broker.yaml; every problem is listed as `file: path: problem`. */
export function loadBrokerConfig(file: string): BrokerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TzError('TZ_CONFIG_INVALID', `${file}: cannot read (${(err as Error).message})`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (err) {
    throw new TzError('TZ_CONFIG_INVALID', `${file}: not YAML (${(err as Error).message})`, { cause: err });
  }
  const parsed = brokerConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = zodProblems(parsed.error);
    throw new TzError('TZ_CONFIG_INVALID', formatProblems(problems, file), { details: { file, problems } });
  }
  const config = parsed.data;
  const base = dirname(resolve(file));
  config.users = resolve(base, config.users);
  const tls = config.listeners.tls;
  if (tls) {
    tls.cert = resolve(base, tls.cert);
    tls.key = resolve(base, tls.key);
    if (tls.ca) tls.ca = resolve(base, tls.ca);
    if (tls.clientCertificates !== 'none' && !tls.ca) {
      throw new TzError('TZ_CONFIG_INVALID', `${file}: listeners.tls.ca: needed when clientCertificates is ${tls.clientCertificates}`, { details: { file } });
    }
  }
  return Object.freeze(config);
}

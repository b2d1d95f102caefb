import type { AuthenticateError, Client } from 'aedes';
import { TzError, type AuditAppend, type Logger } from '../../service-kit/index.ts';
import type { BrokerIdentity } from '../acl.ts';
import type { LoginThrottle, LoginTicket } from '../login-throttle.ts';
import type { BrokerMetrics } from '../metrics.ts';
import { addressOf, connectionOf, type BrokerSessions } from '../sessions.ts';
import type { BrokerUserRecord, BrokerUsers } from '../users.ts';

interface Deps {
  users: BrokerUsers;
  sessions: BrokerSessions;
  metrics: BrokerMetrics;
  log: Logger;
  throttle: LoginThrottle;
  /** Clients whose CONNECT had a zero-byte client id with CleanSession=0 (marked by preConnectHook). */
  emptyPersistentIds: WeakSet<Client>;
  /** After a login is accepted, before CONNACK (gateway events note a takeover here). */
  onAuthenticated(client: Client, identity: BrokerIdentity): void;
  /** The one audit log, when the broker is given one: every login, refused and throttled ones too (never the password). */
  audit?: AuditAppend;
}

// CONNACK return codes, MQTT 3.1.1 §3.2.2.3.
const IDENTIFIER_REJECTED = 2;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

type Refusal = { reason: string; returnCode: number };

/**
 * Deny by default: no anonymous access. A login is a verified TLS client
 * certificate whose CN names a user (the client id must equal the CN), or a
 * username and password (scrypt, off the event loop). A gateway must connect
 * with client id = its id. Every password check is admitted by the login
 * throttle first (login-throttle.ts): a locked-out attempt, or one over the
 * number of checks a key may have running or failed, is refused before any
 * hash is computed.
 */
export function authenticateHook(deps: Deps) {
  const { users, sessions, metrics, log, throttle, emptyPersistentIds } = deps;
  // A failing audit write (disk full) must not take the login path down with it; it is logged loudly.
  const audit = (entry: Parameters<AuditAppend>[0]): void => {
    try {
      deps.audit?.(entry);
    } catch (err) {
      log.error({ err: err instanceof Error ? err.message : String(err), action: entry.action, target: entry.target }, 'audit log write failed');
    }
  };
  return (client: Client, username: Readonly<string | undefined>, password: Readonly<Buffer | undefined>, done: (error: AuthenticateError | null, success: boolean | null) => void): void => {
    const conn = connectionOf(client);
    const refuse = ({ reason, returnCode }: Refusal) => {
      metrics.authFailures.inc({ reason });
      metrics.counts.authFailures += 1;
      metrics.loginLockouts.set(throttle.lockedCount());
      log.warn({ clientId: client.id, address: addressOf(client), username, reason }, 'MQTT connection refused');
      audit({ actor: username ?? conn?.certificateCN ?? 'anonymous', action: reason === 'throttled' ? 'broker.login.throttled' : 'broker.login', target: client.id, result: 'denied', details: { reason, address: addressOf(client) } });
      done(Object.assign(new Error(`connection refused: ${reason}`), { returnCode }) as AuthenticateError, false);
    };
    // MQTT 3.1.1 §3.1.3-8 [MQTT-3.1.3-8]: a zero-byte ClientId with CleanSession=0 gets CONNACK 0x02 and the connection is closed.
    // Aedes would invent an id and accept; preConnect marked the client.
    if (emptyPersistentIds.has(client)) return refuse({ reason: 'empty-client-id-persistent', returnCode: IDENTIFIER_REJECTED });
    const admission = throttle.admit({ address: conn?.remoteAddress ?? 'unknown', clientId: client.id, username: conn?.certificateCN ?? username });
    if (!('ticket' in admission)) {
      metrics.counts.throttledLogins += 1;
      return refuse({ reason: admission.cause === 'locked' ? 'throttled' : 'throttled-in-flight', returnCode: NOT_AUTHORIZED });
    }
    const ticket: LoginTicket = admission.ticket;
    const countCheck = () => {
      metrics.passwordChecks.inc();
      metrics.counts.passwordChecks += 1;
    };
    checkLogin(client, username, password, users, conn?.certificateCN, conn?.certificateError, countCheck).then(
      (result) => {
        if ('reason' in result) {
          ticket.failed();
          return refuse(result);
        }
        ticket.succeeded();
        const identity: BrokerIdentity = { username: result.username, role: result.role };
        sessions.set(client, identity);
        if (identity.role === 'gateway') metrics.gatewayLastSeen.set({ gateway: identity.username }, Date.now() / 1000);
        deps.onAuthenticated(client, identity);
        log.info({ clientId: client.id, address: addressOf(client), role: identity.role, listener: conn?.listener, certificate: conn?.certificateCN !== undefined }, 'MQTT client authenticated');
        audit({ actor: identity.username, action: 'broker.login', target: client.id, details: { role: identity.role, address: addressOf(client), certificate: conn?.certificateCN !== undefined } });
        done(null, true);
      },
      (err: unknown) => {
        ticket.abandoned();
        log.error({ clientId: client.id, err: err instanceof Error ? err.message : String(err) }, 'login check failed');
        done(Object.assign(new TzError('TZ_INTERNAL', 'login check failed'), { returnCode: 3 }) as unknown as AuthenticateError, false);
      },
    );
  };
}

/** Aedes preConnect: notes a zero-byte client id with CleanSession=0 so authenticate can answer CONNACK 0x02 (Aedes has already replaced the id by then). */
export function preConnectHook(emptyPersistentIds: WeakSet<Client>) {
  return (client: Client, packet: { clientId?: string; clean?: boolean }, callback: (error: Error | null, success: boolean) => void): void => {
    if (!packet.clientId && packet.clean === false) emptyPersistentIds.add(client);
    callback(null, true);
  };
}

async function checkLogin(
  client: Client,
  username: string | undefined,
  password: Buffer | undefined,
  users: BrokerUsers,
  certificateCN: string | undefined,
  certificateError: string | undefined,
  countCheck: () => void,
): Promise<BrokerUserRecord | Refusal> {
  if (certificateError !== undefined) return { reason: 'bad-certificate', returnCode: NOT_AUTHORIZED };
  if (certificateCN !== undefined) {
    // The TLS handshake verified the certificate against our CA: it names the client.
    if (client.id !== certificateCN) return { reason: 'certificate-cn-mismatch', returnCode: NOT_AUTHORIZED };
    if (username !== undefined && username !== certificateCN) return { reason: 'certificate-cn-mismatch', returnCode: NOT_AUTHORIZED };
    const user = users.find(certificateCN);
    if (!user) return { reason: 'unknown-certificate-user', returnCode: NOT_AUTHORIZED };
    // A password sent as well must also be right (a stolen key alone is not enough then).
    if (password !== undefined) {
      countCheck();
      if (!(await users.authenticateAsync(certificateCN, password.toString('utf8')))) return { reason: 'bad-credentials', returnCode: BAD_USERNAME_OR_PASSWORD };
    }
    return user;
  }
  if (!username || !password) return { reason: 'anonymous', returnCode: NOT_AUTHORIZED };
  countCheck();
  const user = await users.authenticateAsync(username, password.toString('utf8'));
  if (!user) return { reason: 'bad-credentials', returnCode: BAD_USERNAME_OR_PASSWORD };
  if (user.role === 'gateway' && client.id !== user.username) return { reason: 'client-id-mismatch', returnCode: NOT_AUTHORIZED };
  return user;
}

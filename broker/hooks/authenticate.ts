import type { AuthenticateError, Client } from 'aedes';
import type { Logger } from '../../service-kit/index.ts';
import type { BrokerMetrics } from '../metrics.ts';
import { addressOf, type BrokerSessions } from '../sessions.ts';
import type { BrokerUsers } from '../users.ts';

interface Deps { users: BrokerUsers; sessions: BrokerSessions; metrics: BrokerMetrics; log: Logger }

// CONNACK return codes, MQTT 3.1.1 §3.2.2.3.
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

/** Deny by default: no anonymous access; a gateway must connect with clientId = its id. */
export function authenticateHook({ users, sessions, metrics, log }: Deps) {
  return (client: Client, username: Readonly<string | undefined>, password: Readonly<Buffer | undefined>, done: (error: AuthenticateError | null, success: boolean | null) => void): void => {
    const refuse = (reason: string, returnCode: number) => {
      metrics.authFailures.inc({ reason });
    metrics.counts.authFailures += 1;
      log.warn({ clientId: client.id, address: addressOf(client), username, reason }, 'MQTT connection refused');
      const error = Object.assign(new Error(`connection refused: ${reason}`), { returnCode }) as AuthenticateError;
      done(error, false);
    };
    if (!username || !password) return refuse('anonymous', NOT_AUTHORIZED);
    const user = users.authenticate(username, password.toString('utf8'));
    if (!user) return refuse('bad-credentials', BAD_USERNAME_OR_PASSWORD);
    if (user.role === 'gateway' && client.id !== user.username) return refuse('client-id-mismatch', NOT_AUTHORIZED);
    sessions.set(client, { username: user.username, role: user.role });
    if (user.role === 'gateway') metrics.gatewayLastSeen.set({ gateway: user.username }, Date.now() / 1000);
    log.info({ clientId: client.id, address: addressOf(client), role: user.role }, 'MQTT client authenticated');
    done(null, true);
  };
}

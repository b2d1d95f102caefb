import type { Client } from 'aedes';
import type { BrokerIdentity } from './acl.ts';
import { ConnectionGuard, type ConnectionInfo } from './connection-guard.ts';

/** Who each authenticated connection is; hooks read it, the Aedes client object stays untouched. */
export class BrokerSessions {
  private readonly identities = new WeakMap<Client, BrokerIdentity>();

  set(client: Client, identity: BrokerIdentity): void {
    this.identities.set(client, identity);
  }

  get(client: Client | null): BrokerIdentity | undefined {
    return client ? this.identities.get(client) : undefined;
  }
}

/** What the listener learned about the connection (address, TLS certificate); every connection passes a guard. */
export function connectionOf(client: Client): ConnectionInfo | undefined {
  return client.conn instanceof ConnectionGuard ? client.conn.info : undefined;
}

/** Peer address for logs. */
export function addressOf(client: Client): string {
  const info = connectionOf(client);
  return info?.remoteAddress ? `${info.remoteAddress}:${info.remotePort ?? '?'}` : 'unknown';
}

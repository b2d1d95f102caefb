import type { Client } from 'aedes';
import type { BrokerIdentity } from './acl.ts';

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

/** Peer address for logs: the guard around each socket records it. */
export function addressOf(client: Client): string {
  const conn = client.conn as { remoteAddress?: string; remotePort?: number };
  return conn.remoteAddress ? `${conn.remoteAddress}:${conn.remotePort ?? '?'}` : 'unknown';
}
